using System.Text.RegularExpressions;
using PlanBot.Core.Common;
using PlanBot.Core.Discovery.Hcl;

namespace PlanBot.Core.Discovery;

/// <summary>What a unit's terragrunt.hcl says about where it sits in the repository.</summary>
public sealed record TerragruntUnit
{
    public required string File { get; init; }
    /// <summary>Dirs of the units this one depends on (<c>dependency.config_path</c> and <c>dependencies.paths</c>).</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    /// <summary>The local module dir <c>terraform { source }</c> points at; null for ".", remote or unreadable sources.</summary>
    public string? SourceDir { get; init; }
    /// <summary>Files the unit includes (<c>include { path }</c>), found as terragrunt would find them.</summary>
    public IReadOnlyList<string> Includes { get; init; } = [];
    /// <summary>Things that could not be read, as "file:line: why" (the unit is still planned).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Reads the parts of a terragrunt.hcl that place the unit in the graph. Only literal strings are
/// evaluated (plus <c>find_in_parent_folders("name")</c> in includes); anything else is a warning.
/// </summary>
public static partial class TerragruntReader
{
    public const string UnitFileName = "terragrunt.hcl";

    public static bool IsUnitFile(string path) => path == UnitFileName || path.EndsWith("/" + UnitFileName, StringComparison.Ordinal);

    /// <param name="exists">Whether a repository file exists (for find_in_parent_folders).</param>
    public static TerragruntUnit Read(string dir, HclFile file, Func<string, bool> exists)
    {
        var dependencies = new List<string>();
        var warnings = new List<string>();
        void Path(HclValue? value, int line, string what)
        {
            if (value?.AsString is not { } path)
            {
                warnings.Add($"{file.Path}:{line}: {what} is not a literal path; that edge is not in the graph (add depends_on in planbot.yaml)");
            }
            else if (RepoPath.Combine(dir, path) is { } target)
            {
                dependencies.Add(target);
            }
            else
            {
                warnings.Add($"{file.Path}:{line}: {what} '{path}' leaves the repository");
            }
        }

        foreach (var block in file.Body.BlocksOfType("dependency"))
        {
            Path(block.Body.Attribute("config_path"), block.Line, $"dependency \"{block.Labels.FirstOrDefault()}\" config_path");
        }

        foreach (var block in file.Body.BlocksOfType("dependencies"))
        {
            if (block.Body.Attribute("paths") is HclList list)
            {
                foreach (var item in list.Items)
                {
                    Path(item, block.Line, "dependencies.paths entry");
                }
            }
            else
            {
                warnings.Add($"{file.Path}:{block.Line}: dependencies.paths is not a list of literal paths; those edges are not in the graph");
            }
        }

        string? sourceDir = null;
        foreach (var terraform in file.Body.BlocksOfType("terraform"))
        {
            if (terraform.Body.Attribute("source")?.AsString is { } source && IsLocal(source))
            {
                // "../modules//vpc": terragrunt copies ../modules and runs in vpc; the module is modules/vpc.
                sourceDir = RepoPath.Combine(dir, source.Replace("//", "/", StringComparison.Ordinal).Split('?')[0]);
                if (sourceDir is null)
                {
                    warnings.Add($"{file.Path}:{terraform.Line}: terraform.source '{source}' leaves the repository; changes there are not tracked");
                }
            }
        }

        var includes = new List<string>();
        foreach (var include in file.Body.BlocksOfType("include"))
        {
            var path = include.Body.Attribute("path");
            var found = path?.AsString is { } literal ? RepoPath.Combine(dir, literal)
                : path is HclUnknown unknown && FindInParentFolders().Match(unknown.Source) is { Success: true } call
                    ? FindUp(dir, call.Groups["name"].Success ? call.Groups["name"].Value : UnitFileName, exists)
                    : null;
            if (found is not null)
            {
                includes.Add(found);
            }
        }

        return new TerragruntUnit
        {
            File = file.Path,
            Dependencies = dependencies.Where(d => d != dir).Distinct().ToArray(),
            SourceDir = sourceDir == dir ? null : sourceDir,
            Includes = includes,
            Warnings = warnings,
        };
    }

    private static bool IsLocal(string source) =>
        source.StartsWith("./", StringComparison.Ordinal) || source.StartsWith("../", StringComparison.Ordinal) || source is "." or "..";

    /// <summary>The nearest file called <paramref name="name"/> in a dir above <paramref name="dir"/>, as terragrunt searches.</summary>
    private static string? FindUp(string dir, string name, Func<string, bool> exists)
    {
        while (dir != RepoPath.Root)
        {
            dir = RepoPath.DirectoryOf(dir);
            var candidate = dir == RepoPath.Root ? name : $"{dir}/{name}";
            if (exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    [GeneratedRegex(@"^\s*find_in_parent_folders\s*\(\s*(?:""(?<name>[^""]+)"")?\s*\)\s*$")]
    private static partial Regex FindInParentFolders();
}
