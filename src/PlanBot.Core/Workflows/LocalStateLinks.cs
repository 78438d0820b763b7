using PlanBot.Core.Common;
using PlanBot.Core.Discovery;

namespace PlanBot.Core.Workflows;

/// <summary>
/// The catch-up applies an earlier merge in a temporary worktree of it, where a relative local state
/// path (<c>backend "local" { path = "../state/x.tfstate" }</c>, or no backend block: the project
/// dir's terraform.tfstate) would resolve inside the worktree: an empty state, so terraform would
/// create everything again. Each such state file (and its .backup) in the worktree becomes a symbolic
/// link to the same path in the checkout, where the state lives; terraform writes state in place, so
/// the apply lands there. A relative path that leaves the repository cannot be reached from the
/// worktree: the merge is then not applied there (<see cref="Link"/> names the projects).
/// </summary>
internal static class LocalStateLinks
{
    /// <summary>Links the local states of <paramref name="discovery"/>'s projects from <paramref name="treeRoot"/> to <paramref name="checkoutRoot"/>; returns why a project's state cannot be reached, one line each.</summary>
    public static IReadOnlyList<string> Link(DiscoveryResult discovery, string treeRoot, string checkoutRoot)
    {
        var problems = new List<string>();
        if (Path.GetFullPath(treeRoot) == Path.GetFullPath(checkoutRoot))
        {
            return problems;
        }

        foreach (var project in discovery.Projects)
        {
            if (project.StateAddress is not { } address || !address.StartsWith("local:", StringComparison.Ordinal))
            {
                continue;
            }

            var path = address["local:".Length..];
            if (path.StartsWith('/'))
            {
                continue; // absolute: the same file from any tree
            }

            if (path == ".." || path.StartsWith("../", StringComparison.Ordinal) || path == RepoPath.Root)
            {
                problems.Add($"`{project.Name}` keeps its state at `{path}` (relative to the repository), outside the repository: a worktree of an older merge cannot reach it. Use an absolute `path` or a remote backend");
                continue;
            }

            foreach (var file in new[] { path, path + ".backup" })
            {
                var target = Path.Combine(checkoutRoot, file);
                var link = Path.Combine(treeRoot, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                if (File.Exists(link) || new FileInfo(link).LinkTarget is not null)
                {
                    File.Delete(link); // a state committed at that commit is older than the checkout's
                }

                File.CreateSymbolicLink(link, target);
            }
        }

        return problems;
    }
}
