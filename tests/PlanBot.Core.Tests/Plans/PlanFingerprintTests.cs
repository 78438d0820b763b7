using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PlanBot.Core.Plans;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// The content fingerprint (issue 16): approvals bind to what a plan does with which values. The
/// golden file tests/fixtures/golden/fingerprint/fingerprints.txt shows each variant of plan.json
/// beside the base: equal where only order changed, different where one value did.
/// </summary>
public class PlanFingerprintTests
{
    private const string Secret = "hunter2-correct-horse";
    private static readonly FingerprintSalt Salt = FingerprintSalt.For("acme/infra", "golden-test-plan-key-32-bytes-ok"u8);
    private static readonly FingerprintSalt OtherSalt = FingerprintSalt.For("acme/other", "golden-test-plan-key-32-bytes-ok"u8);

    private static string GoldenDir => Path.Combine(Fixtures.RepoRoot, "tests", "fixtures", "golden", "fingerprint");

    private static JsonNode Base() => JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenDir, "plan.json")))!;

    private static async Task<PlanSummary> Read(JsonNode plan, FingerprintSalt? salt = null) =>
        await PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(plan.ToJsonString())), "plan.json", salt ?? Salt);

    private static async Task<string> Fingerprint(JsonNode plan, FingerprintSalt? salt = null) => (await Read(plan, salt)).Fingerprint;

    private static JsonNode Change(JsonNode plan, string address) =>
        plan["resource_changes"]!.AsArray().Single(c => (string?)c!["address"] == address)!["change"]!;

    private static JsonNode Edit(Action<JsonNode> edit)
    {
        var plan = Base();
        edit(plan);
        return plan;
    }

    [Fact]
    public async Task The_golden_file_shows_reordering_changes_nothing_and_one_changed_value_changes_it()
    {
        var variants = new (string Name, JsonNode Plan, FingerprintSalt Salt, bool Same)[]
        {
            ("base", Base(), Salt, true),
            ("every key order and the resource and output order reversed", PlanShuffles.ReverseKeys(PlanShuffles.ShuffleChanges(Base(), new Random(1))), Salt, true),
            ("numbers written differently (20 as 20.0 and 2e1)", Edit(p => { Change(p, "aws_db_instance.main")["before"]!["allocated_storage"] = JsonValue.Create(20.0m); Change(p, "aws_db_instance.main")["after"]!["allocated_storage"] = JsonNode.Parse("2e1"); }), Salt, true),
            ("the data source read changed (reads change nothing)", Edit(p => Change(p, "data.aws_caller_identity.current")["after"]!["account_id"] = "123"), Salt, true),
            ("aws_db_instance.main after.instance_class db.t3.small -> db.t3.xlarge", Edit(p => Change(p, "aws_db_instance.main")["after"]!["instance_class"] = "db.t3.xlarge"), Salt, false),
            ("aws_db_instance.main after.password (sensitive) changed", Edit(p => Change(p, "aws_db_instance.main")["after"]!["password"] = "hunter3"), Salt, false),
            ("aws_db_instance.main after.id known (null) instead of unknown", Edit(p => Change(p, "aws_db_instance.main")["after_unknown"]!.AsObject().Remove("id")), Salt, false),
            ("aws_security_group.web list order of after.ingress[0].cidr_blocks swapped", Edit(p => { var list = Change(p, "aws_security_group.web")["after"]!["ingress"]![0]!["cidr_blocks"]!.AsArray(); var first = list[0]!.GetValue<string>(); list[0] = list[1]!.GetValue<string>(); list[1] = first; }), Salt, false),
            ("output db_endpoint known: \"db-2.example:5432\"", Edit(p => { p["output_changes"]!["db_endpoint"]!["after"] = "db-2.example:5432"; p["output_changes"]!["db_endpoint"]!["after_unknown"] = false; }), Salt, false),
            ("another repository's salt", Base(), OtherSalt, false),
        };

        var baseline = await Fingerprint(Base());
        var text = new StringBuilder()
            .Append("# Content fingerprints (format v2) of plan.json and variants of it; written by PlanFingerprintTests.\n")
            .Append("# Regenerate with PLANBOT_UPDATE_GOLDEN=1 and review: a format change must bump the v2: prefix.\n\n");
        foreach (var (name, plan, salt, same) in variants)
        {
            var fingerprint = await Fingerprint(plan, salt);
            (fingerprint == baseline).ShouldBe(same, name);
            text.Append($"{(same ? "=" : "≠")} base  {PlanFingerprint.Short(fingerprint)}  {name}\n");
        }

        text.Append($"\nfull (format {baseline[..2]}): {baseline[PlanFingerprint.Prefix.Length..]}\n");
        using var document = JsonDocument.Parse(Base().ToJsonString());
        foreach (var change in document.RootElement.GetProperty("resource_changes").EnumerateArray())
        {
            text.Append($"\n## {change.GetProperty("address").GetString()} ({string.Join(',', change.GetProperty("change").GetProperty("actions").EnumerateArray().Select(a => a.GetString()))})\n");
            foreach (var line in ChangeValues.Lines(change.GetProperty("change")))
            {
                text.Append(line).Append('\n');
            }
        }

        foreach (var output in document.RootElement.GetProperty("output_changes").EnumerateObject())
        {
            text.Append($"\n## output {output.Name}\n");
            foreach (var line in ChangeValues.Lines(output.Value))
            {
                text.Append(line).Append('\n');
            }
        }

        text.ToString().ShouldNotContain(Secret);
        Golden.ShouldMatch(text.ToString(), "tests", "fixtures", "golden", "fingerprint", "fingerprints.txt");
    }

    [Fact]
    public async Task Sensitive_values_appear_in_nothing_the_fingerprint_or_summary_keeps()
    {
        var summary = await Read(Base());
        var kept = string.Join('\n', summary.Fingerprint, JsonSerializer.Serialize(summary.Changes), JsonSerializer.Serialize(summary.OutputChanges));
        var plainHashes = new[] { Secret, "\"" + Secret + "\"", "$ = \"" + Secret + "\"\n" }
            .Select(v => SHA256.HashData(Encoding.UTF8.GetBytes(v)))
            .SelectMany(h => new[] { Convert.ToHexStringLower(h), Convert.ToBase64String(h) });

        kept.ShouldNotContain(Secret);
        foreach (var hash in plainHashes)
        {
            kept.ShouldNotContain(hash); // not even unsalted: a short secret is a dictionary lookup from its plain hash
        }

        using var document = JsonDocument.Parse(Base().ToJsonString());
        var lines = ChangeValues.Lines(document.RootElement.GetProperty("resource_changes")[0].GetProperty("change"));
        lines.ShouldContain("after.password = (sensitive)");
        lines.ShouldNotContain(l => l.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_values_are_kept_distinct_from_null_and_from_look_alike_strings()
    {
        static JsonNode Plan(string after, string unknown) => JsonNode.Parse($$$"""{"format_version":"1.2","resource_changes":[{"address":"x.a","type":"x","change":{"actions":["create"],"before":null,"after":{{{after}}},"after_unknown":{{{unknown}}}}}]}""")!;

        var unknown = await Fingerprint(Plan("""{"id":null}""", """{"id":true}"""));
        var known = await Fingerprint(Plan("""{"id":null}""", "{}"));
        var lookAlike = await Fingerprint(Plan("""{"id":"(unknown)"}""", "{}"));
        var absent = await Fingerprint(Plan("{}", """{"id":true}"""));
        var wholeObject = await Fingerprint(Plan("null", "true"));

        new[] { unknown, known, lookAlike, wholeObject }.Distinct().Count().ShouldBe(4);
        absent.ShouldBe(unknown); // terraform writes an unknown as null or leaves it out: both say "unknown"
    }

    [Fact]
    public async Task The_salt_changes_the_hash_of_sensitive_values_only()
    {
        var withSensitive = Base();
        var withoutSensitive = Edit(p =>
        {
            foreach (var change in p["resource_changes"]!.AsArray())
            {
                change!["change"]!.AsObject().Remove("before_sensitive");
                change["change"]!.AsObject().Remove("after_sensitive");
            }

            p["output_changes"]!.AsObject().Remove("db_password");
        });

        (await Fingerprint(withSensitive, Salt)).ShouldNotBe(await Fingerprint(withSensitive, OtherSalt));
        (await Fingerprint(withoutSensitive, Salt)).ShouldBe(await Fingerprint(withoutSensitive, OtherSalt));

        // per change: only the ones holding a sensitive value differ between salts
        var a = (await Read(withSensitive, Salt)).Changes.ToDictionary(c => c.Address, c => c.ContentDigest);
        var b = (await Read(withSensitive, OtherSalt)).Changes.ToDictionary(c => c.Address, c => c.ContentDigest);
        a["aws_db_instance.main"].ShouldNotBe(b["aws_db_instance.main"]);
        a["aws_security_group.web"].ShouldBe(b["aws_security_group.web"]);
        a["random_id.suffix[\"blue\"]"].ShouldBe(b["random_id.suffix[\"blue\"]"]);
    }

    [Fact]
    public async Task The_format_is_versioned_and_an_old_format_fingerprint_never_matches()
    {
        var fingerprint = await Fingerprint(Base());
        fingerprint.ShouldMatch("^v2:[0-9a-f]{64}$");
        PlanFingerprint.IsCurrent(fingerprint).ShouldBeTrue();

        // what PlanBot recorded before issue 16 for the same plan: SHA-256 of (address, actions) lines
        var v1 = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("aws_db_instance.main\tdelete,create\naws_security_group.web\tupdate\nrandom_id.suffix[\"blue\"]\tcreate")));
        PlanFingerprint.IsCurrent(v1).ShouldBeFalse();
        v1.ShouldNotBe(fingerprint);
        fingerprint[PlanFingerprint.Prefix.Length..].ShouldNotBe(v1["sha256:".Length..]);

        PlanFingerprint.Short(fingerprint).ShouldBe(fingerprint.Substring(3, 12));
        PlanFingerprint.Short(fingerprint).ShouldMatch("^[0-9a-f]{12}$");
    }

    [Fact]
    public async Task Numbers_compare_by_exact_value()
    {
        static JsonNode Plan(string number) => JsonNode.Parse("""{"format_version":"1.2","resource_changes":[{"address":"x.a","type":"x","change":{"actions":["create"],"after":{"n":""" + number + "}}}]}")!;

        var one = await Fingerprint(Plan("1.5"));
        (await Fingerprint(Plan("1.50"))).ShouldBe(one);
        (await Fingerprint(Plan("15e-1"))).ShouldBe(one);
        (await Fingerprint(Plan("1.5000000000000000000000000000000001"))).ShouldNotBe(one);
        (await Fingerprint(Plan("1e-30"))).ShouldNotBe(await Fingerprint(Plan("0")));
        (await Fingerprint(Plan("-0"))).ShouldBe(await Fingerprint(Plan("0")));

        using var document = JsonDocument.Parse("""{"after":{"a":1.50,"b":12e3,"c":1e-30,"d":0.001}}""");
        ChangeValues.Lines(document.RootElement).ShouldBe(["before = null", "after.a = 1.5", "after.b = 12000", "after.c = 1e-30", "after.d = 0.001"]);
    }

    [Fact]
    public async Task A_value_object_repeating_a_key_is_refused_with_a_one_line_error()
    {
        const string plan = """{"format_version":"1.2","resource_changes":[{"address":"x.a","type":"x","change":{"actions":["create"],"after":{"size":"small","size":"xlarge"}}}]}""";
        var error = await Should.ThrowAsync<PlanFormatException>(() => PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(plan)), "plan.json"));
        error.Message.ShouldStartWith("plan.json");
        error.Message.ShouldContain("size");
        error.Message.ShouldNotContain("\n");
    }

    [Fact]
    public async Task Outputs_and_imports_count()
    {
        static JsonNode Plan(string output, string importId) => JsonNode.Parse($$$"""
            {"format_version":"1.2",
             "resource_changes":[{"address":"x.a","type":"x","change":{"actions":["no-op"],"before":{"id":"i-1"},"after":{"id":"i-1"},"importing":{"id":"{{{importId}}}"} } }],
             "output_changes":{"url":{"actions":["update"],"before":"a","after":"{{{output}}}","after_unknown":false} } }
            """)!;

        var base1 = await Fingerprint(Plan("b", "i-1"));
        (await Fingerprint(Plan("c", "i-1"))).ShouldNotBe(base1);
        (await Fingerprint(Plan("b", "i-2"))).ShouldNotBe(base1);
    }
}
