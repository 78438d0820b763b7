using System.Text;
using System.Text.RegularExpressions;

namespace PlanBot.Core.Common;

/// <summary>
/// A path glob over '/'-separated relative paths: <c>**</c> any number of directories, <c>*</c> and
/// <c>?</c> within one segment, <c>[abc]</c> character classes, <c>{a,b}</c> alternatives.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    private Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }

    public bool IsMatch(string path) => _regex.IsMatch(path);

    public override string ToString() => Pattern;

    /// <summary>Compiles a glob, or returns why it is malformed.</summary>
    public static bool TryParse(string pattern, out Glob? glob, out string? error)
    {
        glob = null;
        error = null;
        if (pattern.Length == 0)
        {
            error = "empty glob";
            return false;
        }

        var sb = new StringBuilder("^");
        var braceDepth = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    var atSegmentStart = i == 0 || pattern[i - 1] == '/';
                    var atSegmentEnd = i + 2 == pattern.Length || pattern[i + 2] == '/';
                    if (!atSegmentStart || !atSegmentEnd)
                    {
                        error = $"'**' must be a whole path segment (like 'a/**/b'), at position {i + 1}";
                        return false;
                    }

                    if (i + 2 < pattern.Length)
                    {
                        sb.Append("(?:[^/]+/)*"); // '**/' : zero or more directories
                        i += 2;
                    }
                    else
                    {
                        sb.Append(".*");
                        i += 1;
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0 || close == i + 1)
                    {
                        error = $"unclosed '[' at position {i + 1}: close the character class with ']'";
                        return false;
                    }

                    var cls = pattern[(i + 1)..close];
                    sb.Append('[').Append(cls.StartsWith('!') ? "^" + Regex.Escape(cls[1..]) : Regex.Escape(cls)).Append(']');
                    i = close;
                    break;
                case '{':
                    braceDepth++;
                    sb.Append("(?:");
                    break;
                case '}' when braceDepth > 0:
                    braceDepth--;
                    sb.Append(')');
                    break;
                case ',' when braceDepth > 0:
                    sb.Append('|');
                    break;
                case ']' or '}':
                    error = $"unmatched '{c}' at position {i + 1}";
                    return false;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        if (braceDepth > 0)
        {
            error = "unclosed '{': close the alternatives with '}'";
            return false;
        }

        sb.Append('$');
        try
        {
            // Non-backtracking: matching time is linear in the path whatever the pattern.
            glob = new Glob(pattern, new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking));
        }
        catch (ArgumentException e)
        {
            // e.g. [z-a]: a range in reverse order
            error = $"bad character class: {e.Message.Split(" - ", 2)[^1].TrimEnd('.')}; write ranges low to high, like [a-z]";
            return false;
        }

        return true;
    }

    /// <summary>
    /// A glob over repository paths written the ways people write them: <c>templates/</c>,
    /// <c>/templates/**</c> and <c>./templates/**</c> all mean the templates dir at the root. A leading
    /// '/' or './' is dropped and a trailing '/' names the dir itself; callers match dirs and their
    /// ancestors, so a dir pattern covers everything below it.
    /// </summary>
    public static bool TryParseRepoPath(string pattern, out Glob? glob, out string? error)
    {
        var path = pattern.Replace('\\', '/').Trim();
        while (path.StartsWith("./", StringComparison.Ordinal) || path.StartsWith('/'))
        {
            path = path.StartsWith('/') ? path[1..] : path[2..];
        }

        path = path.TrimEnd('/');
        if (path.EndsWith("/**", StringComparison.Ordinal) && path.Length > 3)
        {
            path = path[..^3]; // dir/** is the dir, matched with everything below it
        }

        if (path.Length == 0 || path is "." or "**")
        {
            glob = null;
            error = "it matches the whole repository";
            return false;
        }

        if (path == ".." || path.StartsWith("../", StringComparison.Ordinal))
        {
            glob = null;
            error = "it leaves the repository";
            return false;
        }

        if (!TryParse(path, out glob, out error))
        {
            return false;
        }

        glob = new Glob(pattern, glob!._regex);
        return true;
    }

    /// <summary>True when the glob matches the path or one of the dirs holding it.</summary>
    public bool MatchesPathOrParent(string path)
    {
        for (var current = path; current.Length > 0;)
        {
            if (IsMatch(current))
            {
                return true;
            }

            var slash = current.LastIndexOf('/');
            current = slash < 0 ? "" : current[..slash];
        }

        return false;
    }

    public static Glob Parse(string pattern) =>
        TryParse(pattern, out var glob, out var error) ? glob! : throw new ArgumentException($"bad glob '{pattern}': {error}", nameof(pattern));
}
