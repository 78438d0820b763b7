using System.Text.RegularExpressions;
using PlanBot.Core.Ports;
using PlanBot.Core.Rendering;

namespace PlanBot.Core.Comments;

/// <summary>
/// Writes the comment parts on a PR: finds PlanBot's comments by their marker (all pages), edits
/// each part in place when its text changed, creates missing parts, deletes parts left over from a
/// longer run and any duplicate of a part, so a PR never has two plan comments. Part 1 keeps its
/// hidden metadata block (<see cref="PlanCommentMeta"/>) across edits.
/// </summary>
public static partial class PlanCommentWriter
{
    [GeneratedRegex(@"^<!-- planbot:plan(?: part=(\d+))? -->", RegexOptions.CultureInvariant)]
    private static partial Regex MarkerLine();

    /// <summary>The part number of one of PlanBot's plan comments, or null for any other comment.</summary>
    public static int? PartOf(string body) =>
        MarkerLine().Match(body) is { Success: true } m ? (m.Groups[1].Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 1) : null;

    /// <summary>Part 1 of PlanBot's plan comment (the oldest, should a racing run have left two), or null.</summary>
    public static IssueComment? FirstPart(IReadOnlyList<IssueComment> comments) =>
        comments.Where(c => PartOf(c.Body) == 1).MinBy(c => c.Id);

    /// <returns>The comments now holding the parts, in order.</returns>
    public static async Task<IReadOnlyList<IssueComment>> WriteAsync(IVcs vcs, string repo, int pr, IReadOnlyList<string> parts, CancellationToken cancellationToken, IReadOnlyList<IssueComment>? existing = null)
    {
        existing ??= await vcs.ListCommentsAsync(repo, pr, cancellationToken).ConfigureAwait(false);
        var ours = existing.Select(c => (Comment: c, Part: PartOf(c.Body))).Where(x => x.Part is not null).OrderBy(x => x.Comment.Id).ToArray();
        var byPart = new Dictionary<int, IssueComment>();
        foreach (var (comment, part) in ours)
        {
            if (!byPart.TryAdd(part!.Value, comment))
            {
                await vcs.DeleteCommentAsync(repo, comment.Id, cancellationToken).ConfigureAwait(false); // a duplicate from a racing run
            }
        }

        var result = new List<IssueComment>();
        for (var i = 0; i < parts.Count; i++)
        {
            var body = parts[i];
            if (i == 0 && byPart.TryGetValue(1, out var first) && PlanCommentMeta.Read(first.Body) is { } meta && PlanCommentMeta.Read(body) is null)
            {
                body = PlanCommentMeta.With(body, meta);
            }

            if (byPart.TryGetValue(i + 1, out var current))
            {
                if (current.Body != body)
                {
                    await vcs.UpdateCommentAsync(repo, current.Id, body, cancellationToken).ConfigureAwait(false);
                }

                result.Add(current with { Body = body });
            }
            else
            {
                result.Add(await vcs.CreateCommentAsync(repo, pr, body, cancellationToken).ConfigureAwait(false));
            }
        }

        foreach (var (part, comment) in byPart.Where(kv => kv.Key > parts.Count))
        {
            await vcs.DeleteCommentAsync(repo, comment.Id, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }
}

/// <summary>
/// PlanBot's state kept in its own comment, for Action mode where nothing on disk survives a run:
/// one hidden line <c>&lt;!-- planbot:meta BASE64(JSON) --&gt;</c> at the end of part 1 (base64, so no
/// JSON can end the HTML comment early).
/// </summary>
public static partial class PlanCommentMeta
{
    [GeneratedRegex(@"\n?<!-- planbot:meta ([A-Za-z0-9+/=]*) -->\n?", RegexOptions.CultureInvariant)]
    private static partial Regex MetaLine();

    public static string? Read(string body)
    {
        var match = MetaLine().Match(body);
        if (!match.Success)
        {
            return null;
        }

        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(match.Groups[1].Value));
        }
        catch (FormatException)
        {
            return null; // edited by hand: treat as absent
        }
    }

    public static string With(string body, string json) =>
        MetaLine().Replace(body, "\n").TrimEnd('\n') + $"\n<!-- planbot:meta {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json))} -->\n";

    /// <summary>A first part for a PR that has none yet (the metadata needs a home before the plan is done).</summary>
    public static string Placeholder(string headSha) => $"{MarkdownComment.Marker}\n### PlanBot is planning `{(headSha.Length > 7 ? headSha[..7] : headSha)}` …\n";
}
