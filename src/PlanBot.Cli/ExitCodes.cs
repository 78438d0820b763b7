using PlanBot.Core.Runs;
using PlanBot.Core.Config;
using PlanBot.Core.Plans;
using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Cli;

/// <summary>The one place results and errors become exit codes (PRODUCT.md "Exit codes").</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int ProjectFailed = 1;
    public const int BadInput = 2;

    public static int For(RunReport report) => report.AnyFailed ? ProjectFailed : Success;

    /// <summary>Known, user-caused errors: one clear message on stderr, never a stack trace.</summary>
    public static int? ForError(Exception error, TextWriter stderr)
    {
        switch (error)
        {
            case ConfigException or UsageException or PlanFormatException or ArgumentException:
                stderr.WriteLine($"planbot: {error.Message}");
                return BadInput;
            case PlanIntegrityException or Core.Ports.VcsException or GitHub.Rest.RateLimitException:
                stderr.WriteLine($"planbot: {error.Message}");
                return ProjectFailed;
            case Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 26 or 11 } damaged: // SQLITE_NOTADB, SQLITE_CORRUPT
                stderr.WriteLine($"planbot: a PlanBot database under PLANBOT_DATA_DIR (state/locks.db or state/queue.db) is damaged ({damaged.Message.Split('\n')[0]}): move it aside and run again (its locks or queued deliveries are lost)");
                return BadInput;
            case OperationCanceledException:
                stderr.WriteLine("planbot: cancelled");
                return ProjectFailed;
            default:
                return null;
        }
    }
}
