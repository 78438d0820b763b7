using PlanBot.Core.Comments;
using PlanBot.Core.Runs;
using PlanBot.Core.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;

namespace PlanBot.Core.Workflows;

public enum DriftIssueAction
{
    None,
    Created,
    Updated,
    Closed,
}

/// <summary>
/// Keeps one open issue "PlanBot drift report" (label <c>planbot-drift</c>): created when drift
/// appears, edited while it remains (with "first seen" per project, kept in the issue's hidden
/// metadata line), a comment when a project newly drifts, closed with a comment when everything is
/// back in sync. Nothing is written when the drifted projects and resources did not change.
/// </summary>
public sealed class DriftIssueWorkflow(IVcs vcs)
{
    public const string Label = "planbot-drift";

    /// <summary>The first-seen times of the open report, for <see cref="DriftReport.From"/>.</summary>
    public async Task<(IssueInfo? Issue, IReadOnlyDictionary<string, DateTimeOffset> FirstSeen)> ReadAsync(string repo, CancellationToken cancellationToken)
    {
        var issue = (await vcs.ListIssuesAsync(repo, Label, "open", cancellationToken).ConfigureAwait(false)).FirstOrDefault(i => i.Title == DriftMarkdown.Title);
        var meta = Meta(issue?.Body);
        return (issue, meta.ToDictionary(kv => kv.Key, kv => DateTimeOffset.FromUnixTimeMilliseconds(kv.Value.FirstSeen), StringComparer.Ordinal));
    }

    public async Task<DriftIssueAction> SyncAsync(string repo, DriftReport report, IssueInfo? open, CommentOptions options, CancellationToken cancellationToken)
    {
        var drifted = report.Drifted;
        if (drifted.Count == 0)
        {
            if (open is null || report.AnyFailed)
            {
                return DriftIssueAction.None; // a failed check proves nothing: keep the issue until a clean one
            }

            await vcs.CreateCommentAsync(repo, open.Number, $"✅ Every project is back in sync at `{Naming.ShortSha(report.Run.Head)}` ({report.CheckedAt:yyyy-MM-dd HH:mm} UTC). Closing.", cancellationToken).ConfigureAwait(false);
            await vcs.UpdateIssueAsync(repo, open.Number, null, "closed", cancellationToken).ConfigureAwait(false);
            return DriftIssueAction.Closed;
        }

        var meta = drifted.ToDictionary(p => p.Name, p => new DriftMetaEntry(p.FirstSeen!.Value.ToUnixTimeMilliseconds(), [.. p.Resources]), StringComparer.Ordinal);
        var json = JsonSerializer.Serialize(new SortedDictionary<string, DriftMetaEntry>(meta, StringComparer.Ordinal), DriftMetaContext.Default.SortedDictionaryStringDriftMetaEntry);
        var body = PlanCommentMeta.With(DriftMarkdown.Render(report, options), json);
        if (open is null)
        {
            await vcs.CreateIssueAsync(repo, DriftMarkdown.Title, body, [Label], cancellationToken).ConfigureAwait(false);
            return DriftIssueAction.Created;
        }

        var previous = Meta(open.Body);
        if (PlanCommentMeta.Read(open.Body) == json)
        {
            return DriftIssueAction.None;
        }

        await vcs.UpdateIssueAsync(repo, open.Number, body, null, cancellationToken).ConfigureAwait(false);
        var newly = drifted.Where(p => !previous.ContainsKey(p.Name)).ToArray();
        if (newly.Length > 0)
        {
            await vcs.CreateCommentAsync(repo, open.Number, "⚠️ Newly drifted: " + string.Join(", ", newly.Select(p => $"`{p.Name}` ({p.Resources.Count} resource{(p.Resources.Count == 1 ? "" : "s")})")) + ". See the report above.", cancellationToken).ConfigureAwait(false);
        }

        return DriftIssueAction.Updated;
    }

    private static SortedDictionary<string, DriftMetaEntry> Meta(string? body)
    {
        if (body is null || PlanCommentMeta.Read(body) is not { } json)
        {
            return new(StringComparer.Ordinal);
        }

        try
        {
            return JsonSerializer.Deserialize(json, DriftMetaContext.Default.SortedDictionaryStringDriftMetaEntry) ?? new(StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return new(StringComparer.Ordinal); // edited by hand: start over rather than crash
        }
    }
}

internal sealed record DriftMetaEntry(long FirstSeen, string[] Resources);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SortedDictionary<string, DriftMetaEntry>))]
internal sealed partial class DriftMetaContext : JsonSerializerContext;
