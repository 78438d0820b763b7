namespace PlanBot.Core.Plans;

/// <summary>What a plan does to one resource, from its <c>change.actions</c> list.</summary>
public enum ChangeAction
{
    NoOp,
    Create,
    Read,
    Update,
    Replace,
    Delete,
    Forget,
}

public static class ChangeActions
{
    /// <summary>Maps an actions list to one action; null for a combination Terraform never produces.</summary>
    public static ChangeAction? FromList(IReadOnlyList<string> actions) => actions switch
    {
        ["no-op"] => ChangeAction.NoOp,
        ["create"] => ChangeAction.Create,
        ["read"] => ChangeAction.Read,
        ["update"] => ChangeAction.Update,
        ["delete"] => ChangeAction.Delete,
        ["delete", "create"] or ["create", "delete"] => ChangeAction.Replace,
        ["forget"] => ChangeAction.Forget,
        // Terraform 1.9+: replace where the old object is forgotten, not destroyed (removed { lifecycle { destroy = false } }).
        ["create", "forget"] or ["forget", "create"] => ChangeAction.Replace,
        _ => null,
    };
}
