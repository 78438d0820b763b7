using System.Text;
using System.Text.Json;
using PlanBot.Core.Plans;
using PlanBot.Testing;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// The UTF-8 walker of <see cref="ChangeValues"/> (issue 19, fourth pass) writes the canonical text of
/// fingerprint format v2 exactly as the string-based walker it replaced (<see cref="ChangeValuesOracle"/>):
/// the same digests, sensitive hashes and lines, and the same errors, on every change of the corpus,
/// on generated plans, on hand-picked edge cases and on seeded random values.
/// </summary>
public class ChangeValuesOracleTests
{
    private static readonly JsonDocumentOptions Deep = new() { MaxDepth = PlanReader.MaxDepth };

    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        if (Fixtures.Root is null)
        {
            data.Add("(absent)");
            return data;
        }

        foreach (var line in File.ReadLines(Fixtures.Path("plans", "FEATURES.tsv")).Skip(1))
        {
            data.Add(line.Split('\t')[0]);
        }

        return data;
    }

    [FixtureTheory]
    [MemberData(nameof(Corpus))]
    public void Every_change_of_the_corpus_has_the_oracle_text(string file)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(Fixtures.Path("plans", file)), Deep);
        }
        catch (JsonException) when (file.Contains(".INVALID-JSON.", StringComparison.Ordinal) || file.Contains(".ARTIFICIAL.", StringComparison.Ordinal))
        {
            return; // not JSON: no change to digest (the reader's refusal is PlanCorpusTests')
        }

        using (document)
        {
            var changes = Changes(document.RootElement).ToList();
            if (!file.Contains(".ARTIFICIAL.", StringComparison.Ordinal) && document.RootElement.TryGetProperty("resource_changes", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
            {
                changes.ShouldNotBeEmpty();
            }

            foreach (var (what, change) in changes)
            {
                Same(change, $"{file}: {what}");
            }
        }
    }

    [Fact]
    public void Generated_plans_have_the_oracle_text()
    {
        foreach (var json in new[] { PlanGenerator.Plan(300), PlanGenerator.Plan(40, policyBytes: 5_000) })
        {
            using var document = JsonDocument.Parse(json, Deep);
            var changes = Changes(document.RootElement).ToList();
            changes.Count.ShouldBeGreaterThan(30);
            foreach (var (what, change) in changes)
            {
                Same(change, what);
            }
        }
    }

    [Theory]
    // strings: escapes, control characters, DEL, U+2028/U+2029, surrogate pairs raw and escaped, long ones
    [InlineData("""{"after":{"a":"tab\there \"q\" back\\slash \/ \b\f\r\n end"}}""")]
    [InlineData("""{"after":{"a":"del \u007f ls \u2028 ps \u2029 e2 \u20ac"}}""")]
    [InlineData("{\"after\":{\"a\":\"raw del \u007f ls \u2028 ps \u2029 euro \u20ac e-acute \u00e9\", \"k\u2028\u007f\":1}}")]
    [InlineData("""{"after":{"a":"pair 😀 \ud83d\ude00 \u00e9 é \u0000 \u001f"}}""")]
    [InlineData("""{"after":{"a":"\ud800"}}""")]
    [InlineData("""{"after":{"a":"\udc00 low first"}}""")]
    [InlineData("""{"after":{"a":"\ud83d\u0041 high then not low"}}""")]
    [InlineData("""{"after":{"a":"\ud83d"}}""")]
    // keys: non-identifiers, non-ASCII, escaped, with quotes, sorted as UTF-16 (U+FF5E before U+1F600 in UTF-16, after it in UTF-8)
    [InlineData("""{"after":{"b":1,"a-b":2,"_x":3,"9":4,"a b":5,"é":6,"\u00e9x":7,"\"q\"":8,"":9,"～":10,"😀":11,"A":12}}""")]
    [InlineData("""{"after":{"z":1,"a":2}, "after_unknown":{"é":true,"m":true,"a":false}}""")]
    [InlineData("""{"after":{"z":1,"a":2}, "after_unknown":{"q":true,"q":true,"b":{"c":true}}}""")]
    [InlineData("""{"after":{"k":{"x":1,"x":2}}}""")]
    [InlineData("""{"after":{"é":{"x":1,"x":2}}}""")]
    [InlineData("""{"after":{"a":1,"\u0061":2}}""")]
    // numbers
    [InlineData("""{"after":[0,-0,1.50,15e-1,1E+2,-0.000,1e25,1e-25,123.456e-10,-7e400000,1e9999999999999999999,0.1e1,100,-12.5e3,1e20,1e21]}""")]
    // unknown, sensitive, empty collections, absent parts, importing
    [InlineData("""{"before":{"p":"old","l":[1,{"s":"x"}]},"after":{"p":"new","l":[1,{"s":"y"}],"e":{},"f":[]},"before_sensitive":{"p":true,"l":[false,{"s":true}]},"after_sensitive":{"p":true,"l":[false,true]},"after_unknown":{"l":[false,false,true],"n":true}}""")]
    [InlineData("""{"before":null,"after":"x","after_sensitive":true,"after_unknown":false}""")]
    [InlineData("""{"before_sensitive":true,"after_unknown":true}""")]
    [InlineData("""{"after":{"a":{"b":[[],[{}],{"c":null,"d":true,"e":false}]}},"importing":{"id":"i-1","é":[1]}}""")]
    [InlineData("""{"after":{"s":{"k":"v","n":[1,2]}},"after_sensitive":{"s":true},"after_unknown":{"s":{"n":[false,true]}}}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{}""")]
    public void Edge_cases_have_the_oracle_text_and_errors(string json)
    {
        using var document = JsonDocument.Parse(json, Deep);
        Same(document.RootElement, json);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_or_a_key_is_refused_as_before()
    {
        foreach (var json in new[] { "{\"after\":{\"a\":\"x\xff\"}}", "{\"after\":{\"a\\n\":\"x\xc3\"}}", "{\"after\":{\"a\xff\":1}}", "{\"after\":{\"a\":\"\\n\xed\xa0\x80\"}}" })
        {
            var bytes = Encoding.Latin1.GetBytes(json);
            using var document = JsonDocument.Parse(bytes, Deep);
            Should.Throw<InvalidOperationException>(() => ChangeValuesOracle.Digest(document.RootElement)); // what PlanReader.NotText reports
            Same(document.RootElement, json);
        }
    }

    [Fact]
    public void Seeded_random_values_have_the_oracle_text()
    {
        var random = new Random(19);
        for (var i = 0; i < 400; i++)
        {
            var sb = new StringBuilder("{\"before\":");
            Value(sb, random, 0);
            sb.Append(",\"after\":");
            Value(sb, random, 0);
            sb.Append(",\"after_unknown\":");
            Value(sb, random, 2);
            sb.Append(",\"after_sensitive\":");
            Value(sb, random, 2);
            sb.Append('}');
            var json = sb.ToString();
            using var document = JsonDocument.Parse(json, Deep);
            Same(document.RootElement, json);
        }
    }

    private static readonly string[] Keys = ["a", "b", "id", "tags", "Name", "x-y", "_u", "1st", "a b", "é", "\\u00e9", "\\\"", "～", "😀", "\\ud83d\\ude00", "", "\\n", "Z"];

    private static readonly string[] Strings = ["", "v", "web-0", "a\\\"b", "line\\nline", "\\u2028", "\u2028", "\u007f", "é", "\\u00e9", "😀", "\\ud83d\\ude00", "\\t", "~", "{\\\"k\\\":1}", "\\/", new string('x', 300), new string('é', 200) + "\\n"];

    private static readonly string[] Numbers = ["0", "1", "-1", "1.50", "15e-1", "1e30", "0.000001", "-0.0", "123456789012345678901234567890", "2.5E+3"];

    /// <summary>A random value; <paramref name="marks"/> &gt; 0 makes it lean to <c>true</c> leaves (unknown/sensitive marks).</summary>
    private static void Value(StringBuilder sb, Random random, int marks, int depth = 0)
    {
        var pick = random.Next(depth > 3 ? 5 : 8);
        if (marks > 0 && random.Next(3) == 0)
        {
            sb.Append(random.Next(2) == 0 ? "true" : "false");
            return;
        }

        switch (pick)
        {
            case 0: sb.Append('"').Append(Strings[random.Next(Strings.Length)]).Append('"'); break;
            case 1: sb.Append(Numbers[random.Next(Numbers.Length)]); break;
            case 2: sb.Append(random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" }); break;
            case 3: sb.Append('"').Append(Strings[random.Next(Strings.Length)]).Append(Strings[random.Next(Strings.Length)]).Append('"'); break;
            case 4: sb.Append(Numbers[random.Next(Numbers.Length)]); break;
            case 5 or 6:
                sb.Append('{');
                var keys = Keys.OrderBy(_ => random.Next()).Take(random.Next(6)).ToList();
                for (var k = 0; k < keys.Count; k++)
                {
                    sb.Append(k == 0 ? "" : ",").Append('"').Append(keys[k]).Append("\":");
                    Value(sb, random, marks, depth + 1);
                }

                sb.Append('}');
                break;
            default:
                sb.Append('[');
                var count = random.Next(4);
                for (var k = 0; k < count; k++)
                {
                    sb.Append(k == 0 ? "" : ",");
                    Value(sb, random, marks, depth + 1);
                }

                sb.Append(']');
                break;
        }
    }

    private static IEnumerable<(string What, JsonElement Change)> Changes(JsonElement plan)
    {
        if (plan.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var field in new[] { "resource_changes", "resource_drift" })
        {
            if (plan.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("change", out var change))
                    {
                        yield return ($"{field}[{i}]", change);
                    }

                    i++;
                }
            }
        }

        if (plan.TryGetProperty("output_changes", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
        {
            foreach (var output in outputs.EnumerateObject())
            {
                yield return ($"output_changes.{output.Name}", output.Value);
            }
        }
    }

    private static void Same(JsonElement change, string what)
    {
        var (expected, expectedError) = Try(() => ChangeValuesOracle.Digest(change));
        var (actual, actualError) = Try(() => ChangeValues.Digest(change));
        var (expectedLines, expectedLinesError) = Try(() => ChangeValuesOracle.Lines(change));
        var (actualLines, actualLinesError) = Try(() => ChangeValues.Lines(change));
        if (expectedError is not null)
        {
            actualError.ShouldNotBeNull(what);
            actualError.GetType().ShouldBe(expectedError.GetType(), what);
            actualError.Message.ShouldBe(expectedError.Message, what);
        }
        else
        {
            actualError.ShouldBeNull(what);
            Convert.ToHexString(actual!.Digest).ShouldBe(Convert.ToHexString(expected!.Digest), what);
            actual.Sensitive.Select(Convert.ToHexString).ShouldBe(expected.Sensitive.Select(Convert.ToHexString), what);
        }

        if (expectedLinesError is not null)
        {
            actualLinesError.ShouldNotBeNull(what);
            actualLinesError.Message.ShouldBe(expectedLinesError.Message, what);
        }
        else
        {
            actualLinesError.ShouldBeNull(what);
            actualLines.ShouldBe(expectedLines, what);
        }
    }

    private static (T? Value, Exception? Error) Try<T>(Func<T> read)
        where T : class
    {
        try
        {
            return (read(), null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return (null, e);
        }
    }
}
