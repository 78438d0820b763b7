namespace PlanBot.Core.Common;

public static class Naming
{
    /// <summary>The default project name: its dir, with '@workspace' when that is not 'default'.</summary>
    public static string ProjectName(string dir, string workspace) =>
        workspace == "default" ? dir : $"{dir}@{workspace}";

    /// <summary>A commit SHA as people read it: its first 7 characters (anything else unchanged).</summary>
    public static string ShortSha(string sha) => sha.Length > 7 && sha.All(Uri.IsHexDigit) ? sha[..7] : sha;
}
