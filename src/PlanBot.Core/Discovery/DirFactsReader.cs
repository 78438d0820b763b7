using PlanBot.Core.Discovery.Hcl;

namespace PlanBot.Core.Discovery;

/// <summary>Reads the discovery-relevant blocks of one directory's .tf and .tf.json files.</summary>
public static class DirFactsReader
{
    public static bool IsTerraformFile(string path) =>
        path.EndsWith(".tf", StringComparison.Ordinal) || path.EndsWith(".tf.json", StringComparison.Ordinal);

    public static HclFile ParseFile(string path, string text) =>
        path.EndsWith(".json", StringComparison.Ordinal) ? HclJsonReader.Parse(path, text) : HclParser.Parse(path, text);

    public static DirFacts Read(string dir, IReadOnlyList<HclFile> files, Func<string, bool>? exists = null)
    {
        TerragruntUnit? unit = null;
        BackendRef? backend = null;
        var cloud = false;
        string? requiredVersion = null;
        var modules = new List<ModuleCall>();
        var remoteStates = new List<RemoteStateRef>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            errors.AddRange(file.Errors.Select(e => $"{file.Path}:{e}"));
            if (TerragruntReader.IsUnitFile(file.Path))
            {
                unit = TerragruntReader.Read(dir, file, exists ?? (_ => false));
                continue;
            }

            foreach (var terraform in file.Body.BlocksOfType("terraform"))
            {
                foreach (var block in terraform.Body.BlocksOfType("backend"))
                {
                    backend = new BackendRef(block.Labels.FirstOrDefault() ?? "?", ToObject(block.Body), file.Path, block.Line);
                }

                cloud |= terraform.Body.BlocksOfType("cloud").Any();
                requiredVersion ??= terraform.Body.Attribute("required_version")?.AsString;
            }

            foreach (var module in file.Body.BlocksOfType("module"))
            {
                if (module.Body.Attribute("source")?.AsString is { } source)
                {
                    modules.Add(new ModuleCall(module.Labels.FirstOrDefault() ?? "?", source, file.Path, module.Line));
                }
            }

            foreach (var data in file.Body.BlocksOfType("data").Where(d => d.Labels is ["terraform_remote_state", _]))
            {
                var type = data.Body.Attribute("backend")?.AsString;
                if (type is null)
                {
                    continue;
                }

                var config = data.Body.Attribute("config") as HclObject ?? new HclObject([]);
                var workspace = data.Body.Attribute("workspace") is { } ws ? ws.AsString ?? "?" : "default";
                remoteStates.Add(new RemoteStateRef(data.Labels[1], new BackendRef(type, config, file.Path, data.Line), workspace, file.Path, data.Line));
            }
        }

        return new DirFacts
        {
            Dir = dir,
            Files = files.Select(f => f.Path).ToArray(),
            Backend = backend,
            HasCloudBlock = cloud,
            ModuleCalls = modules,
            RemoteStates = remoteStates,
            Terragrunt = unit,
            RequiredVersion = requiredVersion,
            Errors = errors,
        };
    }

    /// <summary>A backend block's attributes as an object (its nested blocks, such as assume_role, are not needed).</summary>
    private static HclObject ToObject(HclBody body) =>
        new(body.Attributes.Select(a => new KeyValuePair<string, HclValue>(a.Name, a.Value)).ToArray());
}
