namespace PlanBot.Core.Plans;

/// <summary>Resource counts per action, as PRODUCT.md's JSON report defines them.</summary>
public sealed record ActionCounts
{
    public int Create { get; init; }
    public int Update { get; init; }
    public int Delete { get; init; }
    public int Replace { get; init; }
    public int Read { get; init; }
    public int Move { get; init; }
    public int Import { get; init; }
    public int Forget { get; init; }

    public bool Destructive => Delete > 0 || Replace > 0;

    public bool Any => Create + Update + Delete + Replace + Move + Import + Forget > 0;
}

/// <summary>One resource with a change: enough to list it, warn about it and fingerprint it.</summary>
public sealed record ResourceChange
{
    public required string Address { get; init; }
    public string? PreviousAddress { get; init; }
    public required string Type { get; init; }
    public string Mode { get; init; } = "managed";
    public required ChangeAction Action { get; init; }
    /// <summary>The actions list as terraform wrote it (e.g. "delete,create" vs "create,delete").</summary>
    public required string ActionList { get; init; }
    public string? ActionReason { get; init; }
    public bool Importing { get; init; }
    public string? Deposed { get; init; }
    public IReadOnlyList<string> ReplacePaths { get; init; } = [];
    /// <summary>The digest of its before/after values as the content fingerprint holds it (sensitive values salted); empty when built without values.</summary>
    public string ContentDigest { get; init; } = "";

    public bool IsMove => PreviousAddress is not null && PreviousAddress != Address;
}

public sealed record OutputChange(string Name, ChangeAction Action, bool Sensitive);

/// <summary>What one project's plan does, read from its JSON plan.</summary>
public sealed record PlanSummary
{
    public required string FormatVersion { get; init; }
    public string? TerraformVersion { get; init; }
    /// <summary>Terraform stopped planning part-way (errored: true); the listed changes are incomplete.</summary>
    public bool Errored { get; init; }
    public ActionCounts Counts { get; init; } = new();
    /// <summary>Every resource change except no-ops, in terraform's order.</summary>
    public IReadOnlyList<ResourceChange> Changes { get; init; } = [];
    public IReadOnlyList<OutputChange> OutputChanges { get; init; } = [];
    /// <summary>Resources changed outside of Terraform since the last apply.</summary>
    public IReadOnlyList<ResourceChange> Drift { get; init; } = [];
    /// <summary>The content fingerprint (addresses, actions, values, outputs): <c>v2:</c> + SHA-256; see <see cref="PlanFingerprint"/>.</summary>
    public required string Fingerprint { get; init; }
    /// <summary>Attribute diffs, when the plan was read with <see cref="PlanReader.ReadDetailed"/>; null when only summarized.</summary>
    public PlanDetails? Details { get; init; }

    public bool HasChanges => Counts.Any || OutputChanges.Count > 0;

    public IEnumerable<string> ChangedTypes => Changes.Where(c => c.Action is not (ChangeAction.Read or ChangeAction.NoOp)).Select(c => c.Type).Distinct();
}
