using System.Text;

namespace PlanBot.Terraform.Git;

/// <summary>
/// Full ref names read from a checkout's own files, without a git process (issue 19: the default branch's head is
/// asked in a run's first wave, and each process costs the start 5–10 ms): a loose ref file
/// (<c>.git/refs/remotes/origin/main</c>), else its line in <c>.git/packed-refs</c>, as git reads them. Only the
/// plainest layout is read: <c>.git</c> a directory, the files ref store (no <c>reftable</c>), names of plain parts,
/// a loose file that is exactly an object id. Anything else, or any read error: null, and git is asked.
/// The values are object ids only: whether one is a commit is the caller's to ask (<see cref="GitCli.ResolveAsync"/>).
/// A PR cannot write <c>.git</c>; what is read here is what the checkout fetched.
/// </summary>
public static class RefFiles
{
    /// <summary>Each ref's object id, null where the checkout has no such ref; null overall when git must be asked.</summary>
    public static string?[]? TryRead(string repoDir, IReadOnlyList<string> fullRefs)
    {
        var gitDir = Path.Combine(repoDir, ".git");
        try
        {
            if (!Directory.Exists(gitDir) || Directory.Exists(Path.Combine(gitDir, "reftable")) || !fullRefs.All(IsPlain))
            {
                return null;
            }

            var values = new string?[fullRefs.Count];
            Dictionary<string, string>? packed = null;
            for (var i = 0; i < fullRefs.Count; i++)
            {
                var loose = Path.Combine(gitDir, fullRefs[i]);
                if (File.Exists(loose))
                {
                    if (new FileInfo(loose).LinkTarget is not null)
                    {
                        return null; // an old-style symbolic ref
                    }

                    var text = File.ReadAllText(loose, Encoding.ASCII);
                    if (text.Length != 41 || text[40] != '\n' || !GitObjects.IsObjectId(text[..40]))
                    {
                        return null; // a symbolic ref, a SHA-256 id, or something git would read otherwise
                    }

                    values[i] = text[..40];
                    continue;
                }

                // no loose file (or a directory of refs under that name, as git reads it): its packed line, if any
                packed ??= Packed(gitDir);
                if (packed is null)
                {
                    return null;
                }

                values[i] = packed.GetValueOrDefault(fullRefs[i]);
            }

            return values;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>refs/…</c> of parts git's check-ref-format takes as they are: letters, digits, <c>_ - .</c>, no part empty,
    /// starting with a dot or ending with <c>.lock</c> (so the name is the path, and no path part is <c>.</c> or <c>..</c>).
    /// </summary>
    private static bool IsPlain(string fullRef) =>
        fullRef.StartsWith("refs/", StringComparison.Ordinal) && fullRef.Length < 1024
        && fullRef.Split('/').All(part => part.Length > 0 && part[0] != '.' && !part.EndsWith(".lock", StringComparison.Ordinal)
            && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'));

    /// <summary>packed-refs as name → id (peeled <c>^</c> lines skipped); empty when there is none; null when a line is not one git writes.</summary>
    private static Dictionary<string, string>? Packed(string gitDir)
    {
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = Path.Combine(gitDir, "packed-refs");
        if (!File.Exists(path))
        {
            return refs;
        }

        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (line.Length == 0 || line[0] is '#' or '^')
            {
                continue;
            }

            if (line.Length < 42 || line[40] != ' ' || !GitObjects.IsObjectId(line[..40]))
            {
                return null;
            }

            refs.TryAdd(line[41..], line[..40]);
        }

        return refs;
    }
}
