using System.Text;
using System.Text.Json.Nodes;
using PlanBot.Core.Plans;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// Properties of the content fingerprint over every readable plan of ../shared/fixtures/plans: it
/// does not move when key order or resource order does, and moves when one planned value does.
/// </summary>
public class FingerprintCorpusTests
{
    private static readonly FingerprintSalt Salt = FingerprintSalt.For("acme/infra", "corpus"u8);

    public static TheoryData<string> Plans()
    {
        var data = new TheoryData<string>();
        if (Fixtures.Root is null)
        {
            data.Add("(absent)");
            return data;
        }

        foreach (var file in Files())
        {
            data.Add(file);
        }

        return data;
    }

    private static string[] Files() =>
        [.. File.ReadLines(Fixtures.Path("plans", "FEATURES.tsv")).Skip(1)
            .Select(line => line.Split('\t')[0])
            .Where(file => !file.Contains(".ARTIFICIAL.", StringComparison.Ordinal) && !file.Contains(".INVALID-JSON.", StringComparison.Ordinal))];

    private static async Task<string> Fingerprint(JsonNode plan) =>
        (await PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(plan.ToJsonString())), "plan.json", Salt)).Fingerprint;

    [FixtureTheory]
    [MemberData(nameof(Plans))]
    public async Task The_fingerprint_is_stable_under_key_and_resource_reorder(string file)
    {
        var plan = JsonNode.Parse(File.ReadAllText(Fixtures.Path("plans", file)))!;
        var fingerprint = (await PlanReader.ReadFileAsync(Fixtures.Path("plans", file), Salt)).Fingerprint;

        fingerprint.ShouldStartWith(PlanFingerprint.Prefix);
        for (var seed = 0; seed < 3; seed++)
        {
            var shuffled = PlanShuffles.ShuffleChanges(plan, new Random(seed));
            (await Fingerprint(shuffled)).ShouldBe(fingerprint, $"resource order (seed {seed})");
            (await Fingerprint(PlanShuffles.ReverseKeys(shuffled))).ShouldBe(fingerprint, $"key order and resource order (seed {seed})");
        }
    }

    [FixtureTheory]
    [MemberData(nameof(Plans))]
    public async Task Changing_one_planned_value_changes_the_fingerprint(string file)
    {
        var plan = JsonNode.Parse(File.ReadAllText(Fixtures.Path("plans", file)))!;
        var fingerprint = await Fingerprint(plan);
        var edited = Edit(plan.DeepClone());
        if (edited is null)
        {
            // nothing planned with a known value: then the same document must still fingerprint the same
            (await Fingerprint(plan.DeepClone())).ShouldBe(fingerprint);
            return;
        }

        (await Fingerprint(edited)).ShouldNotBe(fingerprint, "one value changed");
    }

    [FixtureFact]
    public void Most_corpus_plans_have_a_value_to_change()
    {
        var files = Files();
        var editable = files.Count(f => Edit(JsonNode.Parse(File.ReadAllText(Fixtures.Path("plans", f)))!) is not null);
        editable.ShouldBeGreaterThan(files.Length / 2, "the value-change property must exercise most of the corpus");
    }

    /// <summary>Appends "-x" to the first known, non-sensitive string in a counted change's <c>after</c>; null when there is none.</summary>
    private static JsonNode? Edit(JsonNode plan)
    {
        foreach (var item in plan["resource_changes"]?.AsArray() ?? [])
        {
            var change = item?["change"];
            var actions = change?["actions"]?.AsArray().Select(a => (string?)a).ToArray() ?? [];
            if (actions is ["read"] or ["no-op"] && item?["previous_address"] is null && change?["importing"] is null)
            {
                continue;
            }

            if (change?["after"] is JsonObject after && change["after_sensitive"] is not JsonValue)
            {
                foreach (var (key, value) in after)
                {
                    var unknown = change["after_unknown"] is JsonObject u && u[key] is JsonValue mark && mark.GetValueKind() == System.Text.Json.JsonValueKind.True;
                    var sensitive = change["after_sensitive"] is JsonObject s && s.ContainsKey(key);
                    if (value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String && !unknown && !sensitive)
                    {
                        after[key] = v.GetValue<string>() + "-x";
                        return plan;
                    }
                }
            }
        }

        return null;
    }
}
