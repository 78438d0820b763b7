using System.Text.RegularExpressions;
using Shouldly;

namespace PlanBot.Testing;

/// <summary>
/// Golden files: expected text output checked in beside its scenario, volatile parts normalised.
/// With PLANBOT_UPDATE_GOLDEN=1 the files are rewritten instead (review the diff like code).
/// </summary>
public static partial class Golden
{
    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.CultureInvariant)]
    private static partial Regex Uuid();

    [GeneratedRegex("(plan for |base )`[0-9a-f]{7}`", RegexOptions.CultureInvariant)]
    private static partial Regex Sha();

    // Content fingerprints cover values such as terraform_data's random ids: they differ per run.
    [GeneratedRegex("(plan `)[0-9a-f]{12}`|v2:[0-9a-f]{64}", RegexOptions.CultureInvariant)]
    private static partial Regex Fingerprint();

    public static string Normalise(string text) => Fingerprint().Replace(Sha().Replace(Uuid().Replace(text, "<uuid>"), "$1`<sha>`"), m => m.Groups[1].Success ? "plan `<fingerprint>`" : "v2:<fingerprint>");

    public static void ShouldMatch(string actual, params string[] pathUnderRepo)
    {
        var path = Path.Combine([Fixtures.RepoRoot, .. pathUnderRepo]);
        var normalised = Normalise(actual);
        if (Environment.GetEnvironmentVariable("PLANBOT_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, normalised);
            return;
        }

        File.Exists(path).ShouldBeTrue($"{path} is missing: create it with PLANBOT_UPDATE_GOLDEN=1 and review it");
        normalised.ShouldBe(File.ReadAllText(path), $"the output differs from {path}; if the change is intended, regenerate with PLANBOT_UPDATE_GOLDEN=1 and review the diff");
    }
}
