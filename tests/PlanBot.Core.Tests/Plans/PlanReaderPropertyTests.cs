using System.Text;
using PlanBot.Core.Plans;
using PlanBot.Core.Rendering;
using PlanBot.Core.Tests.Rendering;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// The plan reader and the comment built from it, on hostile plan JSON: the only error is
/// <see cref="PlanFormatException"/>, one line naming the document. Seeded and reproducible.
/// </summary>
public class PlanReaderPropertyTests
{
    private const int Cases = 100;

    private static string Plan(string after, string before = "null", string afterSensitive = "false") =>
        $$$"""{"format_version":"1.2","resource_changes":[{"address":"terraform_data.x","type":"terraform_data","change":{"actions":["update"],"before":{{{before}}},"after":{{{after}}},"after_sensitive":{{{afterSensitive}}}}}]}""";

    private static string Nested(int depth, string leaf = "\"v\"")
    {
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            sb.Append(i % 2 == 0 ? "{\"k\":" : "[");
        }

        sb.Append(leaf);
        for (var i = depth - 1; i >= 0; i--)
        {
            sb.Append(i % 2 == 0 ? '}' : ']');
        }

        return sb.ToString();
    }

    [Fact]
    public void A_valid_plan_nesting_far_beyond_64_levels_is_read_and_rendered()
    {
        // The reported case: ~58 levels of value nesting was refused. Terraform writes such plans.
        var json = Plan(Nested(900), before: Nested(900, "\"old\""), afterSensitive: Nested(900, "true"));
        var plan = RenderHelpers.Read(json);
        plan.Counts.Update.ShouldBe(1);
        var comment = string.Concat(MarkdownComment.Render(RenderHelpers.Report(RenderHelpers.Planned("deep", plan)), new CommentOptions()));
        comment.ShouldContain("terraform_data.x");
        comment.ShouldNotContain("old"); // a value marked sensitive at depth 900 stays masked
    }

    [Fact]
    public void A_plan_deeper_than_the_limit_is_one_clean_error_naming_the_document_and_line()
    {
        var json = Plan(Nested(PlanReader.MaxDepth + 200));
        var error = Should.Throw<PlanFormatException>(() => RenderHelpers.Read(json));
        error.Message.ShouldStartWith("plan.json:1: a value nests more than 1000 levels deep");
        error.Message.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"plan\"")]
    [InlineData("42")]
    public void A_document_that_is_not_an_object_is_a_format_error(string json) =>
        Should.Throw<PlanFormatException>(() => RenderHelpers.Read(json)).Message.ShouldStartWith("plan.json");

    [Fact]
    public async Task The_streaming_reader_takes_the_same_depth()
    {
        var plan = await PlanReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(Plan(Nested(900)))), "plan.json");
        plan.Counts.Update.ShouldBe(1);
    }

    [Fact]
    public void Random_nesting_truncation_binary_and_huge_values_give_a_plan_or_a_format_error()
    {
        var random = new Random(1414);
        var outcomes = new int[2];
        for (var i = 0; i < Cases; i++)
        {
            var bytes = Generate(random, i % 5);
            try
            {
                var plan = PlanReader.ReadDetailed(bytes, "plan.json", []);
                _ = MarkdownComment.Render(RenderHelpers.Report(RenderHelpers.Planned("p", plan)), new CommentOptions());
                outcomes[0]++;
            }
            catch (PlanFormatException e)
            {
                e.Message.ShouldStartWith("plan.json", customMessage: $"case {i}");
                outcomes[1]++;
            }
            catch (Exception e)
            {
                throw new ShouldAssertException($"case {i} (seed 1414, kind {i % 5}) threw {e.GetType().Name}: {e.Message}", e);
            }
        }

        outcomes[0].ShouldBeGreaterThan(0, "some generated plans are valid");
        outcomes[1].ShouldBeGreaterThan(0, "some generated plans are refused");
    }

    /// <summary>0: valid with random values; 1: truncated; 2: binary; 3: huge values; 4: wrong types in places.</summary>
    private static byte[] Generate(Random random, int kind)
    {
        var valid = Plan(Value(random, random.Next(8) == 0 ? random.Next(900, 1_100) : random.Next(0, 40)), Value(random, random.Next(0, 60)), random.Next(2) == 0 ? "true" : Value(random, random.Next(0, 30)));
        return kind switch
        {
            0 => Encoding.UTF8.GetBytes(valid),
            1 => Encoding.UTF8.GetBytes(valid[..random.Next(valid.Length)]),
            2 => RandomBytes(random),
            3 => Encoding.UTF8.GetBytes(Plan($"{{\"s\":\"{new string('x', random.Next(100_000, 400_000))}\",\"n\":1{new string('0', 5000)},\"l\":[{string.Join(',', Enumerable.Repeat("\"a\\nb\"", random.Next(1, 2_000)))}]}}")),
            _ => Encoding.UTF8.GetBytes(WrongTypes(random)),
        };
    }

    private static string Value(Random random, int depth)
    {
        if (depth == 0)
        {
            return random.Next(6) switch
            {
                0 => "null",
                1 => "true",
                2 => random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                3 => "\"{\\\"json\\\": [1, {\\\"in\\\": \\\"a string\\\"}]}\"",
                4 => "\"line1\\nline2\"",
                _ => "\"v\"",
            };
        }

        return random.Next(3) switch
        {
            0 => $"[{Value(random, depth - 1)},{Value(random, 0)}]",
            1 => $"{{\"k{random.Next(3)}\":{Value(random, depth - 1)},\"id\":{Value(random, 0)}}}",
            _ => $"{{\"only\":{Value(random, depth - 1)}}}",
        };
    }

    private static string WrongTypes(Random random)
    {
        string[] values = ["1", "\"s\"", "[]", "{}", "null", "[1,\"a\",{}]", "{\"address\":1}", "true"];
        string Pick() => values[random.Next(values.Length)];
        return "{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":\"a.b\",\"change\":{\"actions\":[\"update\"]," +
               $"\"before\":{Pick()},\"after\":{Pick()},\"after_unknown\":{Pick()},\"before_sensitive\":{Pick()},\"after_sensitive\":{Pick()},\"replace_paths\":{Pick()}}}}}]," +
               $"\"output_changes\":{{\"o\":{{\"actions\":[\"update\"],\"before\":{Pick()},\"after\":{Pick()},\"after_sensitive\":{Pick()}}}}}," +
               $"\"prior_state\":{Pick()},\"planned_values\":{Pick()},\"resource_drift\":{(random.Next(2) == 0 ? "[]" : Pick())},\"variables\":{Pick()}}}";
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 8192)];
        random.NextBytes(bytes);
        if (random.Next(2) == 0)
        {
            bytes[0] = (byte)'{';
        }

        return bytes;
    }
}
