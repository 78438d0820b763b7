namespace PlanBot.Core.Common;

public static class Naming
{
    /// <summary>The default project name: its dir, with '@workspace' when that is not 'default'.</summary>
    public static string ProjectName(string dir, string workspace) =>
        workspace == "default" ? dir : $"{dir}@{workspace}";
}
