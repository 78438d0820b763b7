using System.Runtime.CompilerServices;

namespace PlanBot.Testing;

/// <summary>The task exceptions carrying a marker that nobody observed while some work ran (found by the finalizer after a full collection).</summary>
public static class UnobservedErrors
{
    public static async Task<List<Exception>> DuringAsync(string marker, Func<Task> work)
    {
        var unobserved = new List<Exception>();
        void Seen(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message.Contains(marker, StringComparison.Ordinal)))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        }

        TaskScheduler.UnobservedTaskException += Seen;
        try
        {
            await RunAsync(work);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            lock (unobserved)
            {
                return [.. unobserved];
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= Seen;
        }
    }

    // its own frame: nothing of the work stays reachable from the caller's when the collector runs
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task RunAsync(Func<Task> work) => work();
}
