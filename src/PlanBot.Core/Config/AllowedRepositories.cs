using System.Text;
using System.Text.RegularExpressions;

namespace PlanBot.Core.Config;

/// <summary>
/// <c>allowed_repositories</c> of the server policy: the repositories the operator's PlanBot acts
/// for, as <c>owner/name</c> or <c>owner/*</c>. GitHub's owner and repository names are ASCII and
/// case-insensitive, so both sides must be GitHub names and compare ignoring ASCII case only (no
/// culture folding: a Kelvin sign is not a k). A repository name that is not a GitHub name at all
/// (a path, a glob, control characters) is never admitted. No entries: every repository.
/// </summary>
public sealed partial record AllowedRepositories(IReadOnlyList<string> Patterns)
{
    /// <summary>The key as written in the server policy (used in every message naming it).</summary>
    public const string Key = "allowed_repositories";

    public static readonly AllowedRepositories All = new([]);

    /// <summary>Whether a list was written; without one, every repository is admitted.</summary>
    public bool Restricts => Patterns.Count > 0;

    /// <summary>Why <paramref name="pattern"/> cannot be an entry, or null when it can.</summary>
    public static string? PatternError(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var slash = pattern.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IsOwner(pattern[..slash]) && (pattern[(slash + 1)..] == "*" || IsName(pattern[(slash + 1)..]))
            ? null
            : $"'{Printable(pattern)}' is not a repository: write owner/name or owner/* (for example acme/infra, acme/*)";
    }

    /// <summary>Whether PlanBot may act for <paramref name="repo"/> (<c>owner/name</c> as the event names it).</summary>
    public bool Admits(string repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        if (!Restricts)
        {
            return true;
        }

        var slash = repo.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IsOwner(repo[..slash]) || !IsName(repo[(slash + 1)..]))
        {
            return false;
        }

        var owner = repo[..slash];
        var name = repo[(slash + 1)..];
        return Patterns.Any(p =>
        {
            var cut = p.IndexOf('/', StringComparison.Ordinal);
            return string.Equals(p[..cut], owner, StringComparison.OrdinalIgnoreCase)
                && (p[(cut + 1)..] == "*" || string.Equals(p[(cut + 1)..], name, StringComparison.OrdinalIgnoreCase));
        });
    }

    /// <summary>Text from an event, safe for one log line: control and non-ASCII characters escaped, at most 200 characters.</summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder();
        foreach (var c in text.Length > 200 ? text[..200] : text)
        {
            builder.Append(c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}");
        }

        return text.Length > 200 ? builder.Append('…').ToString() : builder.ToString();
    }

    // GitHub: owners are letters, digits and hyphens (enterprise managed users add _shortcode);
    // repository names letters, digits, '-', '_' and '.', but never '.' or '..'.
    // \z, not $: $ also matches before a final newline ("acme/infra\n").
    private static bool IsOwner(string owner) => OwnerName().IsMatch(owner);

    private static bool IsName(string name) => RepoName().IsMatch(name) && name is not "." and not "..";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex OwnerName();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepoName();
}
