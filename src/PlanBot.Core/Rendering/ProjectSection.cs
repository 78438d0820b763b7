using PlanBot.Core.Runs;
using PlanBot.Core.Plans;
using PlanBot.Core.Plans.Values;
using static PlanBot.Core.Rendering.Markdown;

namespace PlanBot.Core.Rendering;

/// <summary>How much of a project's plan a section shows; the comment degrades big projects step by step.</summary>
public enum DetailLevel
{
    /// <summary>Every resource with its attribute diff.</summary>
    Full,
    /// <summary>Every resource address, no attribute diffs.</summary>
    Addresses,
    /// <summary>Only the counts; the resource list is left out.</summary>
    Counts,
}

/// <summary>One unit of a section: a line of text, optionally followed by a code block kept with it.</summary>
internal sealed record SectionUnit(string Text, IReadOnlyList<string>? Code = null, string Language = "diff")
{
    public int Length => Text.Length + (Code is null ? 0 : Code.Sum(l => l.Length + 1) + Language.Length + 10);

    /// <summary>The outputs line, which at full detail is replaced by the outputs' diffs (see <see cref="ProjectSection.FullSizeAtLeast"/>).</summary>
    public bool Outputs { get; init; }
}

/// <summary>The &lt;details&gt; section of one project that has changes, failed or did not run.</summary>
internal sealed class ProjectSection
{
    private static readonly (string Name, Func<ResourceChange, bool> Holds)[] Groups =
    [
        ("Replace", c => c.Action == ChangeAction.Replace),
        ("Destroy", c => c.Action == ChangeAction.Delete),
        ("Create", c => c.Action == ChangeAction.Create && !c.Importing),
        ("Update", c => c.Action == ChangeAction.Update),
        ("Read", c => c.Action == ChangeAction.Read),
        ("Import", c => c.Importing && c.Action is ChangeAction.Create or ChangeAction.NoOp),
        ("Move", c => c.IsMove && !c.Importing && c.Action == ChangeAction.NoOp),
        ("Forget (removed from state, not destroyed)", c => c.Action == ChangeAction.Forget),
    ];

    private readonly ProjectResult _result;
    private readonly CommentOptions _options;

    public ProjectSection(ProjectResult result, CommentOptions options)
    {
        _result = result;
        _options = options;
        Summary = Summarize(result);
    }

    public string Name => _result.Project.Name;

    public string Summary { get; }

    /// <summary>Resources this project's plan lists (what the section shows at full detail).</summary>
    public int Resources => _result.Plan?.Changes.Count ?? 0;

    private static string Summarize(ProjectResult p)
    {
        var what = p.Plan is { } plan && p.Status == ProjectStatus.Planned
            ? $"{plan.Counts.Create} to add, {plan.Counts.Update} to change, {plan.Counts.Delete} to destroy, {plan.Counts.Replace} to replace"
            : JsonReport.StatusName(p.Status).Replace('_', ' ');
        return $"<b>{Html(p.Project.Name)}</b>: {what}";
    }

    /// <summary>The section's length at a level, counted only up to <paramref name="cap"/> (diffs are computed as they are counted).</summary>
    public int Size(DetailLevel level, long cap)
    {
        long size = Summary.Length + 40;
        foreach (var unit in Units(level))
        {
            size += unit.Length;
            if (size > cap)
            {
                break;
            }
        }

        return (int)Math.Min(size, int.MaxValue);
    }

    /// <summary>
    /// A lower bound of <see cref="Size"/> at <see cref="DetailLevel.Full"/>, from the units at
    /// <see cref="DetailLevel.Addresses"/>, which compute no diff (issue 19: a 10,000-change plan's
    /// addresses alone exceed the comment, so its diffs need not be computed to know they do not fit).
    /// Every unit is the same at both levels except: a resource at full detail is its address line
    /// (one character shorter than the list item, "- …\n" against "…\n\n") plus its diff, if any;
    /// the empty line closing each group of the address list is not there; and the outputs line is
    /// replaced by the outputs' diffs, which may be shorter. Counted only up to <paramref name="cap"/>.
    /// </summary>
    public long FullSizeAtLeast(long cap)
    {
        long size = Summary.Length + 40;
        foreach (var unit in Units(DetailLevel.Addresses))
        {
            size += unit.Outputs ? 0 : Math.Max(0, unit.Length - 1);
            if (size > cap)
            {
                break;
            }
        }

        return size;
    }

    /// <summary>The project's terraform settings, as one line: env values and backend config values are not shown (they may be secrets).</summary>
    private static string RunText(Ports.TerraformRun run) => string.Join("; ", new List<string?>
    {
        run.Terragrunt ? "terragrunt" : null,
        run.VarFiles.Count > 0 ? "var files " + string.Join(", ", run.VarFiles) : null,
        run.BackendConfig.Count > 0 ? "backend config " + string.Join(", ", run.BackendConfig.Select(b => b.Contains('=', StringComparison.Ordinal) ? b.Split('=')[0] + "=…" : b)) : null,
        run.Env.Count > 0 ? "env " + string.Join(", ", run.Env.Select(e => e.FromRunner ? $"{e.Name} (from {e.Value})" : e.Name)) : null,
        run.Version is { } version ? $"version {version} (from {run.VersionSource ?? "planbot.yaml"})" : null,
    }.Concat(run.ExtraArgs.Where(kv => kv.Value.Count > 0).Select(kv => $"{kv.Key} args {string.Join(' ', kv.Value)}")).OfType<string>());

    /// <summary>The section's units, produced lazily: a project far too big for the comment never computes all its diffs.</summary>
    public IEnumerable<SectionUnit> Units(DetailLevel level)
    {
        if (_result.Reasons.Count > 0)
        {
            yield return new($"Why: {Html(string.Join("; ", _result.Reasons.Take(5)))}{(_result.Reasons.Count > 5 ? $"; and {_result.Reasons.Count - 5} more" : "")}\n\n");
        }

        if (!_result.Project.Run.IsDefault)
        {
            yield return new($"Run with: {Html(RunText(_result.Project.Run))}\n\n");
        }

        if (_result.Project.Workflow is { } workflow)
        {
            yield return new($"Workflow: {Code(workflow.Name)}\n\n");
        }

        foreach (var step in _result.Steps)
        {
            yield return Step(step);
        }

        if (_result.Plan is not { } plan)
        {
            foreach (var unit in Failure())
            {
                yield return unit;
            }

            yield break;
        }

        if (plan.Errored)
        {
            yield return new("**Terraform stopped planning part-way; the list below is incomplete.**\n\n");
        }

        if (level == DetailLevel.Counts)
        {
            var c = plan.Counts;
            yield return new($"_{Plural(plan.Changes.Count, "resource")} not shown here_ ({c.Create} to add, {c.Update} to change, {c.Delete} to destroy, {c.Replace} to replace, {c.Read} to read" +
                          $"{(c.Import > 0 ? $", {c.Import} to import" : "")}{(c.Move > 0 ? $", {c.Move} moved" : "")}{(c.Forget > 0 ? $", {c.Forget} to forget" : "")}" +
                          $"{(plan.Drift.Count > 0 ? $"; {Plural(plan.Drift.Count, "resource")} changed outside of Terraform" : "")}); the full list is in {_options.FullReportLocation}.\n\n");
            yield break;
        }

        var details = level == DetailLevel.Full ? plan.Details : null;
        foreach (var (name, holds) in Groups)
        {
            var members = plan.Changes.Where(holds).ToArray();
            if (members.Length == 0)
            {
                continue;
            }

            yield return new($"**{name}** ({members.Length:N0})\n\n");
            foreach (var batch in Batches(members, details, drift: false))
            {
                foreach (var change in batch)
                {
                    yield return Resource(change, details is null ? null : details.ResourceDiff);
                }
            }

            if (details is null)
            {
                yield return new("\n");
            }
        }

        if (plan.OutputChanges.Count > 0)
        {
            yield return (details is { Outputs.Count: > 0 }
                ? new("**Outputs**\n\n", [.. details.Outputs.Select(Cut)])
                : new("**Outputs**: " + string.Join(", ", plan.OutputChanges.Select(o => $"{Code(o.Name)} ({o.Action.ToString().ToLowerInvariant()}{(o.Sensitive ? ", sensitive" : "")})")) + "\n\n") { Outputs = true });
        }

        if (plan.Drift.Count > 0)
        {
            yield return new($"**Changed outside of Terraform** ({plan.Drift.Count:N0}): terraform will reconcile these to the configuration\n\n");
            foreach (var batch in Batches([.. plan.Drift], details, drift: true))
            {
                foreach (var drift in batch)
                {
                    yield return Resource(drift, details is null ? null : details.DriftDiff);
                }
            }

            if (details is null)
            {
                yield return new("\n");
            }
        }
    }

    /// <summary>A group's resources in batches whose diffs are computed on two threads before they are shown (<see cref="PlanDetails.Prefetch"/>); one batch without diffs or for a small group.</summary>
    private static IEnumerable<ArraySegment<ResourceChange>> Batches(ResourceChange[] changes, PlanDetails? details, bool drift)
    {
        if (details is null || changes.Length < PrefetchFrom)
        {
            yield return changes;
            yield break;
        }

        // growing batches: a section that turns out not to fit stops asking after a few, and little is computed past it
        var size = 8;
        for (var start = 0; start < changes.Length; start += size, size = Math.Min(size * 2, 32))
        {
            var batch = new ArraySegment<ResourceChange>(changes, start, Math.Min(size, changes.Length - start));
            details.Prefetch(batch, drift);
            yield return batch;
        }
    }

    /// <summary>Below this many resources in a group, diffs are computed one by one as they are shown (two threads cost more than they save).</summary>
    private const int PrefetchFrom = 16;

    private SectionUnit Resource(ResourceChange change, Func<ResourceChange, IReadOnlyList<string>>? diff)
    {
        var notes = new List<string>();
        if (change.IsMove)
        {
            notes.Add($"moved from {Code(change.PreviousAddress!)}");
        }

        if (change.Deposed is not null)
        {
            notes.Add($"deposed object {Code(change.Deposed)}");
        }

        if (Warnings.Reason(change) is { } reason)
        {
            notes.Add(reason);
        }

        var note = notes.Count == 0 ? "" : $" — {string.Join("; ", notes)}";
        if (diff is null)
        {
            return new($"- {Code(change.Address)}{note}\n");
        }

        var lines = diff(change);
        return lines.Count == 0
            ? new($"{Code(change.Address)}{note}\n\n")
            : new($"{Code(change.Address)}{note}\n", [.. lines.Select(Cut)]);
    }

    /// <summary>How many of a step's last output lines the comment shows (the whole log is in the run's artifacts).</summary>
    private const int StepLines = 40;

    /// <summary>A run step's output, collapsed (open when it failed), masked like terraform's diagnostics.</summary>
    private SectionUnit Step(StepReport step)
    {
        var scrubber = _result.Plan?.Details?.Scrubber ?? new SecretScrubber([], _options.Masks);
        var all = step.Output.TrimEnd().Split('\n');
        var lines = all.Skip(Math.Max(0, all.Length - StepLines)).Select(l => Cut(scrubber.Scrub(l.TrimEnd('\r')))).ToList();
        if (all.Length > StepLines)
        {
            lines.Insert(0, $"… ({all.Length - StepLines:N0} earlier lines in the run's log)");
        }

        var how = step.Ok ? "passed" : step.Outcome == Ports.TerraformOutcome.TimedOut ? "timed out" : step.Outcome == Ports.TerraformOutcome.NotFound ? "could not start" : $"failed (exit code {step.ExitCode})";
        var fence = Fence(lines);
        return new($"<details{(step.Ok ? "" : " open")}><summary>{Html(step.Title)}: {how}</summary>\n\n{fence}text\n{string.Join('\n', lines)}\n{fence}\n\n</details>\n\n");
    }

    private string Cut(string line) =>
        line.Length <= _options.MaxLineChars ? line : $"{line[.._options.MaxLineChars]}… ({line.Length - _options.MaxLineChars:N0} more characters)";

    private IEnumerable<SectionUnit> Failure()
    {
        var scrubber = _result.Plan?.Details?.Scrubber ?? new SecretScrubber([], _options.Masks);
        if (_result.StateLock is { } held)
        {
            yield return new($"Terraform's state lock is held: ID {Code(held.Id ?? "?")}, by {Code(held.Who ?? "?")}, operation {Code(held.Operation ?? "?")}, since {Code(held.Created ?? "?")}. " +
                          "Wait for that run to finish; if it died, an admin can release it with `terraform force-unlock` (never automatic).\n\n");
        }

        if (_result.Diagnostics is { Length: > 0 } diagnostics)
        {
            yield return new("", [.. diagnostics.TrimEnd().Split('\n').Select(l => Cut(scrubber.Scrub(l)))], "text");
        }
        else if (_result.Error is { } error)
        {
            yield return new(Html(scrubber.Scrub(error)) + "\n\n");
        }
    }
}
