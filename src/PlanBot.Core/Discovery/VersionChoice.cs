using System.Text.RegularExpressions;
using PlanBot.Core.Config;
using PlanBot.Core.Ports;

namespace PlanBot.Core.Discovery;

/// <summary>
/// Which terraform (or tofu) version a project runs, first match wins: the project's own
/// <c>terraform.version</c> in planbot.yaml; its dir's <c>.terraform-version</c> (or
/// <c>.opentofu-version</c>) when it holds an exact version; its <c>required_version</c> when that pins one
/// exact version (<c>"1.9.8"</c> or <c>"= 1.9.8"</c>); the repository-wide <c>terraform.version</c>; else none
/// (the binary on PATH). A range is left to terraform, which refuses to run outside it.
/// </summary>
public static partial class VersionChoice
{
    public static readonly string[] VersionFiles = [".terraform-version", ".opentofu-version"];

    public static (string? Version, string? Source) For(string? projectVersion, DirFacts? facts, string? repositoryVersion)
    {
        if (projectVersion is not null)
        {
            return (projectVersion, "planbot.yaml");
        }

        if (facts?.VersionFile is { } file && RunSettingsValidator.IsExactVersion(file))
        {
            return (file.TrimStart('v'), facts.VersionFilePath);
        }

        if (facts?.RequiredVersion is { } required && Pin().Match(required) is { Success: true } pin)
        {
            return (pin.Groups[1].Value, "required_version");
        }

        return repositoryVersion is null ? (null, null) : (repositoryVersion, "planbot.yaml terraform.version");
    }

    /// <summary>The first line of a dir's version file, when there is one (bounded: a version is short).</summary>
    public static (string? Text, string? Path) ReadVersionFile(IFileTree tree, string dir, IReadOnlySet<string> files)
    {
        foreach (var name in VersionFiles)
        {
            var path = dir == Common.RepoPath.Root ? name : $"{dir}/{name}";
            if (!files.Contains(path))
            {
                continue;
            }

            try
            {
                var text = tree.ReadText(path);
                return (text[..Math.Min(text.Length, 200)].Split('\n')[0].Trim(), path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SkippedFileException)
            {
                return (null, null);
            }
        }

        return (null, null);
    }

    [GeneratedRegex(@"^\s*=?\s*v?([0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(?:-[0-9A-Za-z.]{1,32})?)\s*$")]
    private static partial Regex Pin();
}
