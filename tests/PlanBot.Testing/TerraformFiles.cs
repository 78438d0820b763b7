namespace PlanBot.Testing;

/// <summary>Small terraform_data configurations for scenario repos.</summary>
public static class TerraformFiles
{
    public const string LocalBackend = "terraform {\n  backend \"local\" {\n    path = \"terraform.tfstate\"\n  }\n}\n";

    public static string Resource(string name, string input, string? triggersReplace = null) =>
        $"resource \"terraform_data\" \"{name}\" {{\n  input = \"{input}\"\n" +
        (triggersReplace is null ? "" : $"  triggers_replace = [\"{triggersReplace}\"]\n") + "}\n";

    public static string Output(string name, string value) => $"output \"{name}\" {{\n  value = {value}\n}}\n";

    public static string ReadsStateOf(string relativeDir) =>
        $"data \"terraform_remote_state\" \"upstream\" {{\n  backend = \"local\"\n  config = {{\n    path = \"{relativeDir}/terraform.tfstate\"\n  }}\n}}\n";
}
