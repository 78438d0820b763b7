using System.Text;
using System.Text.Json;
using PlanBot.Core.Plans;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// A big plan's changes are digested on a second thread while <see cref="PlanStream"/> reads on
/// (<see cref="ChangeDigests"/>, issue 19). Whether they are or not, the reader must give the same
/// plan, sensitive values, fingerprint and refusals: on every plan of the corpus, on a generated
/// plan, and on damaged documents where several errors compete for being reported first.
/// </summary>
public class PlanStreamParallelTests
{
    private static readonly FingerprintSalt Salt = new("parallel-salt"u8);

    public static TheoryData<string, string> Corpus() => PlanCorpusTests.Corpus();

    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public void Both_ways_read_every_corpus_plan_alike(string file, string actions)
    {
        _ = actions;
        Alike(File.ReadAllBytes(Fixtures.Path("plans", file)));
    }

    [Fact]
    public void Both_ways_read_a_generated_plan_alike_and_a_big_one_is_digested_beside_the_reader()
    {
        var bytes = Encoding.UTF8.GetBytes(PlanGenerator.Plan(400));
        bytes.Length.ShouldBeGreaterThan(ChangeDigests.ParallelFrom); // so the public entry point takes the parallel way
        var (plan, _) = Alike(bytes);
        plan!.Changes.Count.ShouldBe(400);
        PlanReader.ReadDetailed(bytes, "plan.json", [], Salt).Fingerprint.ShouldBe(plan.Fingerprint);
    }

    public static TheoryData<string, string> Damaged() => new()
    {
        // a change whose string is not text, then a syntax error: the change is met first
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["create"],"after":{"s":"\ud800"}}}], "x":[}""", "missing low surrogate" },
        // a syntax error, then a change that would fail: the syntax error
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["create"]}}, ] ,{"address":"b","change":{"after":"\ud800"}}]}""", "trailing comma" },
        // a wrong type, then a change that is not text: the change (the inline reader stopped there)
        { """{"format_version":"1.2","errored":"no","resource_changes":[{"address":"a","change":{"actions":["create"],"after":"\udc00"}}]}""", "Invalid surrogate value: '0xDC00'" },
        // a change of the wrong shape, then a field of the wrong type: the change (met first)
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":"create"}},{"address":5}]}""", "$.resource_changes[0].change" },
        // a field of the wrong type inside the resource, before its change of the wrong shape: the field
        { """{"format_version":"1.2","resource_changes":[{"address":7,"change":{"actions":[1]}}]}""", "$.resource_changes[0].address" },
        // replace_paths that are not text: reported by the summary, as before
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["delete","create"],"replace_paths":[["\ud800"]]}}]}""", "unpaired surrogate" },
        // a change of the wrong shape after a field of the wrong type: the field
        { """{"format_version":"1.2","applyable":1,"resource_changes":[{"address":"a","change":{"actions":{}}}]}""", "$.applyable" },
        // two changes of the wrong shape: the first
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":[2]}},{"address":"b","change":{"actions":"x"}}]}""", "$.resource_changes[0].change" },
        // repeated keys in a change's values, then a wrong output
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":{"actions":["create"],"after":{"k":1,"k":2}}}],"output_changes":{"o":{"actions":3}}}""", "the key \"k\" appears twice" },
        // a change that is not an object, then a wrong output
        { """{"format_version":"1.2","resource_changes":[{"address":"a","change":[1]}],"output_changes":{"o":5}}""", "a change must be a JSON object, not Array" },
        // an output of the wrong shape, then a change of the wrong shape: the output
        { """{"format_version":"1.2","output_changes":{"o":{"actions":3}},"resource_changes":[{"address":"a","change":{"actions":"x"}}]}""", "$.output_changes.o" },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void Both_ways_report_the_same_first_error(string json, string first)
    {
        // `first` is what the reader reported before the digests could run beside it
        var (_, error) = Alike(Encoding.UTF8.GetBytes(json));
        Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(Encoding.UTF8.GetBytes(json), "plan.json", [])).Message.ShouldContain(first);
        error.ShouldNotBeNull();
    }

    [Fact]
    public void A_damaged_change_deep_in_a_big_plan_is_reported_as_inline()
    {
        var json = PlanGenerator.Plan(400);
        var at = json.IndexOf("\"after\":{", json.IndexOf("\"resource_changes\"", StringComparison.Ordinal) + json.Length / 4, StringComparison.Ordinal);
        var broken = Encoding.UTF8.GetBytes(string.Concat(json.AsSpan(0, at), "\"after\":{\"dup\":1,\"dup\":2},\"x\":{", json.AsSpan(at + "\"after\":{".Length)));
        var (_, error) = Alike(broken);
        error.ShouldBeOfType<JsonException>().Message.ShouldContain("appears twice");
        Should.Throw<PlanFormatException>(() => PlanReader.ReadDetailed(broken, "plan.json", [])).Message.ShouldContain("appears twice");
    }

    /// <summary>Reads <paramref name="bytes"/> both ways; they must agree. The summary (or the error) of the inline way.</summary>
    private static (PlanSummary? Plan, Exception? Error) Alike(byte[] bytes)
    {
        // inline without the salt (the summary computes everything), beside the reader with it (the summary takes what the digests prepared)
        var (inline, inlineError) = Read(bytes, parallel: false, salt: null);
        var (parallel, parallelError) = Read(bytes, parallel: true, Salt);
        if (inlineError is not null)
        {
            parallelError.ShouldNotBeNull();
            parallelError.GetType().ShouldBe(inlineError.GetType());
            parallelError.Message.ShouldBe(inlineError.Message);
            return (null, inlineError);
        }

        parallelError.ShouldBeNull();
        parallel!.Sensitive.OrderBy(s => s, StringComparer.Ordinal).ShouldBe(inline!.Sensitive.OrderBy(s => s, StringComparer.Ordinal));
        parallel.Resources.Keys.ShouldBe(inline.Resources.Keys);
        parallel.Outputs.Select(o => o.Name).ShouldBe(inline.Outputs.Select(o => o.Name));
        if (inline.Plan is null)
        {
            parallel.Plan.ShouldBeNull();
            return (null, null);
        }

        var (a, aError) = Summarize(inline.Plan, Salt);
        var (b, bError) = Summarize(parallel.Plan!, Salt);
        bError?.Message.ShouldBe(aError?.Message);
        if (a is not null)
        {
            b!.Fingerprint.ShouldBe(a.Fingerprint);
            b.Changes.Select(c => c.ContentDigest).ShouldBe(a.Changes.Select(c => c.ContentDigest));
            b.Changes.Select(c => c.ActionList).ShouldBe(a.Changes.Select(c => c.ActionList));
            b.Changes.Select(c => string.Join("|", c.ReplacePaths)).ShouldBe(a.Changes.Select(c => string.Join("|", c.ReplacePaths)));
        }

        return (a, aError);
    }

    private static (PlanStream? Stream, Exception? Error) Read(byte[] bytes, bool parallel, FingerprintSalt? salt)
    {
        try
        {
            return (PlanStream.Read(bytes, parallel, salt), null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return (null, e);
        }
    }

    private static (PlanSummary?, Exception?) Summarize(PlanJson plan, FingerprintSalt salt)
    {
        try
        {
            return (PlanReader.Summarize(plan, "plan.json", salt), null);
        }
        catch (Exception e) when (e is PlanFormatException or InvalidOperationException)
        {
            return (null, e);
        }
    }
}
