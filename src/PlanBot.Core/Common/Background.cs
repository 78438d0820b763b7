namespace PlanBot.Core.Common;

/// <summary>Work started ahead of its use (issue 19), which nobody may be left owing an unobserved exception.</summary>
public static class Background
{
    /// <summary>
    /// The task, its failure marked as seen: a guess whose answer is not used (or a run that stops before it
    /// needs it) must not leave an unobserved exception behind. Whoever awaits it still gets the error.
    /// </summary>
    public static Task<T> Observed<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }
}
