using PlanBot.Core.Common;
using PlanBot.Core.Discovery.Hcl;

namespace PlanBot.Core.Discovery;

/// <summary>
/// Where a state lives, as one comparable string, so a terraform_remote_state data source can be
/// matched to the project that writes that state. Null when it depends on values only known at run time.
/// </summary>
public static class StateAddress
{
    public static string? For(string type, HclObject config, string dir, string workspace)
    {
        string? Get(string key) => config.Get(key) is { } v ? v.AsString : null;
        var isDefault = workspace == "default";
        switch (type)
        {
            case "local":
                var path = config.Get("path") is { } p ? p.AsString : "terraform.tfstate";
                if (path is null)
                {
                    return null;
                }

                if (!isDefault)
                {
                    var workspaceDir = config.Get("workspace_dir") is { } wd ? wd.AsString : "terraform.tfstate.d";
                    if (workspaceDir is null)
                    {
                        return null;
                    }

                    path = $"{workspaceDir.TrimEnd('/')}/{workspace}/{Path.GetFileName(path)}";
                }

                return "local:" + LocalPath(dir, path);
            case "s3":
                var (bucket, key) = (Get("bucket"), Get("key"));
                if (bucket is null || key is null)
                {
                    return null;
                }

                var prefix = config.Get("workspace_key_prefix") is { } wp ? wp.AsString : "env:";
                return prefix is null ? null : isDefault ? $"s3:{bucket}/{key}" : $"s3:{bucket}/{prefix}/{workspace}/{key}";
            case "azurerm":
                var (account, container, blob) = (Get("storage_account_name"), Get("container_name"), Get("key"));
                return account is null || container is null || blob is null
                    ? null
                    : $"azurerm:{account}/{container}/{blob}{(isDefault ? "" : "env:" + workspace)}";
            case "gcs":
                var (gcsBucket, gcsPrefix) = (Get("bucket"), config.Get("prefix") is { } gp ? gp.AsString : "");
                return gcsBucket is null || gcsPrefix is null ? null : $"gcs:{gcsBucket}/{gcsPrefix}/{workspace}.tfstate";
            default:
                var parts = config.Items.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => (i.Key, Value: i.Value.AsString)).ToList();
                return parts.Any(p => p.Value is null) ? null : $"{type}:{string.Join(';', parts.Select(p => $"{p.Key}={p.Value}"))}@{workspace}";
        }
    }

    /// <summary>
    /// A local state path as terraform resolves it: relative to the dir terraform runs in, or absolute
    /// as written. Both sides of a match (the writer's backend, the reader's remote state) go through
    /// here, so an absolute path shared by two projects is one address.
    /// </summary>
    private static string LocalPath(string dir, string path)
    {
        path = path.Replace('\\', '/');
        if (path.StartsWith('/'))
        {
            return "/" + (RepoPath.Normalize(path) is var absolute && absolute != RepoPath.Root ? absolute : "");
        }

        return RepoPath.Normalize(dir == RepoPath.Root ? path : $"{dir}/{path}");
    }
}
