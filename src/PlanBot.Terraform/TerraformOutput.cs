using System.Text;
using PlanBot.Core.Ports;
using PlanBot.Terraform.Processes;

namespace PlanBot.Terraform;

/// <summary>Maps a finished terraform process to a result: exit code, first error line, state-lock details.</summary>
public static class TerraformOutput
{
    private const int MaxDiagnostics = 8 * 1024;

    public static TerraformResult Interpret(string step, string binary, ProcessOutcome outcome)
    {
        if (outcome.NotFound)
        {
            return new TerraformResult
            {
                Outcome = TerraformOutcome.NotFound,
                ExitCode = -1,
                Error = $"{outcome.StderrTail}; install it or set terraform.binary in planbot.yaml",
            };
        }

        if (outcome.TimedOut || outcome.Cancelled)
        {
            return new TerraformResult
            {
                Outcome = outcome.TimedOut ? TerraformOutcome.TimedOut : TerraformOutcome.Cancelled,
                ExitCode = outcome.ExitCode,
                Error = outcome.TimedOut
                    ? $"terraform {step} hit its {Limit(outcome.Limit)} step limit (terraform.timeout) and was killed with every process it started after {outcome.Duration:hh\\:mm\\:ss}; raise terraform.timeout in planbot.yaml if it needs longer"
                    : $"terraform {step} was cancelled",
                Duration = outcome.Duration,
            };
        }

        if (outcome.ExitCode == 0)
        {
            return new TerraformResult { Outcome = TerraformOutcome.Succeeded, Duration = outcome.Duration };
        }

        var diagnostics = Clean(outcome.StderrTail.Length > 0 ? outcome.StderrTail : outcome.StdoutTail);
        var stateLock = ParseStateLock(diagnostics);
        return new TerraformResult
        {
            Outcome = stateLock is not null ? TerraformOutcome.StateLocked : TerraformOutcome.Failed,
            ExitCode = outcome.ExitCode,
            Error = stateLock is not null
                ? $"state lock held by {stateLock.Who ?? "someone"} since {stateLock.Created ?? "?"} ({stateLock.Operation ?? "?"}, lock ID {stateLock.Id ?? "?"})"
                : LockFailure(diagnostics) ?? FirstError(diagnostics) ?? $"{binary} {step} exited with code {outcome.ExitCode}",
            Diagnostics = diagnostics.Length > MaxDiagnostics ? diagnostics[^MaxDiagnostics..] : diagnostics,
            StateLock = stateLock,
            Duration = outcome.Duration,
        };
    }

    /// <summary>Removes the diagnostic box drawing terraform prints even with -no-color.</summary>
    public static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim() is "╷" or "╵")
            {
                continue;
            }

            sb.Append(line.StartsWith("│ ", StringComparison.Ordinal) ? line[2..] : line.StartsWith('│') ? line[1..] : line).Append('\n');
        }

        return sb.ToString().Trim();
    }

    public static string? FirstError(string diagnostics)
    {
        var line = diagnostics.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("Error:", StringComparison.Ordinal));
        return line?.Trim();
    }

    private static string Limit(TimeSpan limit) =>
        limit <= TimeSpan.Zero ? "?" : limit.TotalHours >= 1 && limit.TotalHours % 1 == 0 ? $"{limit.TotalHours:0}h"
        : limit.TotalMinutes >= 1 && limit.TotalMinutes % 1 == 0 ? $"{limit.TotalMinutes:0}m" : $"{limit.TotalSeconds:0.###}s";

    /// <summary>
    /// "Error acquiring the state lock" without lock info is not a held lock: terraform could not read
    /// or write the lock at all (permissions, a path that is a directory, an unreachable backend).
    /// Telling it as a held lock would send the user to force-unlock a lock nobody holds.
    /// </summary>
    private static string? LockFailure(string diagnostics)
    {
        if (!diagnostics.Contains("Error acquiring the state lock", StringComparison.Ordinal))
        {
            return null;
        }

        var lines = diagnostics.Split('\n').Select(l => l.Trim()).ToList();
        var start = lines.FindIndex(l => l.StartsWith("Error message:", StringComparison.Ordinal));
        var message = start < 0
            ? "no details"
            : string.Join(' ', lines.Skip(start).TakeWhile((l, i) => i == 0 || l.Length > 0)).Replace("Error message:", "", StringComparison.Ordinal).Trim();
        return $"terraform could not take the state lock (an error reaching the lock, not a lock someone holds): {message}; fix the backend's storage or access and re-plan";
    }

    /// <summary>The holder of a state lock, when terraform says one is held (it prints Lock Info with an ID).</summary>
    public static StateLockInfo? ParseStateLock(string diagnostics)
    {
        if (!diagnostics.Contains("Error acquiring the state lock", StringComparison.Ordinal) || !diagnostics.Contains("Lock Info:", StringComparison.Ordinal))
        {
            return null;
        }

        string? Field(string name)
        {
            var line = diagnostics.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
            var value = line?[(name.Length + 1)..].Trim();
            return string.IsNullOrEmpty(value) ? null : value;
        }

        return new StateLockInfo(Field("ID"), Field("Path"), Field("Operation"), Field("Who"), Field("Created"));
    }
}
