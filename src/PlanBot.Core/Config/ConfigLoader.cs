namespace PlanBot.Core.Config;

/// <summary>Finds planbot.yaml (or .yml) at the repository root and loads it; none means defaults.</summary>
public static class ConfigLoader
{
    public static readonly string[] FileNames = ["planbot.yaml", "planbot.yml"];

    /// <exception cref="ConfigException">The file exists but is malformed or invalid.</exception>
    public static PlanBotConfig Load(string repoRoot)
    {
        foreach (var name in FileNames)
        {
            var path = Path.Combine(repoRoot, name);
            if (File.Exists(path))
            {
                return Parse(name, File.ReadAllText(path));
            }
        }

        return PlanBotConfig.Default;
    }

    public static PlanBotConfig Parse(string fileName, string text)
    {
        var (raw, readErrors) = ConfigReader.Read(fileName, text);
        var (config, validationErrors) = ConfigValidator.Validate(raw);
        var errors = readErrors.Concat(validationErrors).OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
        return errors.Count > 0 ? throw new ConfigException(errors) : config with { Written = PolicyKeys.Written(raw) };
    }
}
