namespace PlanBot.Core.Runs;

/// <summary>The outcome kinds the scheduler needs to know: did a node succeed, so its dependents may run?</summary>
public interface IScheduledResult
{
    bool Succeeded { get; }
}
