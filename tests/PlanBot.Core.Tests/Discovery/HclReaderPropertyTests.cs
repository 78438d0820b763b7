using System.Text;
using PlanBot.Core.Discovery;
using PlanBot.Core.Discovery.Hcl;

namespace PlanBot.Core.Tests.Discovery;

/// <summary>
/// The HCL and .tf.json readers on hostile input: they report diagnostics, they never throw and never
/// exhaust the stack. Seeded, so a failure names a reproducible case.
/// </summary>
public class HclReaderPropertyTests
{
    private const int Cases = 200;
    private const string Soup = "{}[]()\"$%<>=:,\n\\#/*-ab1 ";

    [Theory]
    [InlineData("{ a = ", "}")] // objects
    [InlineData("[", "]")] // lists
    public void Twenty_thousand_nested_values_are_one_error_at_their_line(string open, string close)
    {
        var source = "locals {\n  x = " + string.Concat(Enumerable.Repeat(open, 20_000)) + string.Concat(Enumerable.Repeat(close, 20_000)) + "\n}\n";
        var file = DirFactsReader.ParseFile("envs/a/deep.tf", source);
        var error = file.Errors.ShouldHaveSingleItem();
        error.Line.ShouldBe(2);
        error.Message.ShouldContain($"nested more than {HclParser.MaxDepth} levels deep");
    }

    [Fact]
    public void Twenty_thousand_nested_blocks_are_one_error_and_the_rest_of_the_file_is_read()
    {
        var source = string.Concat(Enumerable.Repeat("a {\n", 20_000)) + string.Concat(Enumerable.Repeat("}\n", 20_000)) +
                     "terraform {\n  backend \"local\" {}\n}\n";
        var facts = DirFactsReader.Read("envs/a", [DirFactsReader.ParseFile("envs/a/deep.tf", source)]);
        facts.Errors.ShouldHaveSingleItem().ShouldStartWith($"envs/a/deep.tf:{HclParser.MaxDepth + 1}:");
        facts.Backend.ShouldNotBeNull().Type.ShouldBe("local");
    }

    [Fact]
    public void Deeply_nested_interpolations_in_strings_do_not_overflow()
    {
        var source = "x = " + string.Concat(Enumerable.Repeat("\"${", 20_000)) + "1" + string.Concat(Enumerable.Repeat("}\"", 20_000)) + "\n";
        var file = HclParser.Parse("deep.tf", source);
        file.Errors.ShouldContain(e => e.Message.Contains("levels deep"));
        file.Errors.Count.ShouldBeLessThanOrEqualTo(HclParser.MaxErrors + 1);
    }

    [Fact]
    public void Nesting_terraform_accepts_within_the_limit_is_read()
    {
        const int depth = 900;
        var source = "locals {\n  x = " + string.Concat(Enumerable.Repeat("[", depth)) + "1" + string.Concat(Enumerable.Repeat("]", depth)) + "\n}\n";
        HclParser.Parse("ok.tf", source).Errors.ShouldBeEmpty();
        var json = "{\"locals\": {\"x\": " + string.Concat(Enumerable.Repeat("[", depth)) + "1" + string.Concat(Enumerable.Repeat("]", depth)) + "}}";
        HclJsonReader.Parse("ok.tf.json", json).Errors.ShouldBeEmpty();
    }

    [Fact]
    public void A_tf_json_deeper_than_the_limit_is_one_error_naming_its_line()
    {
        var json = "{\n\"locals\": {\"x\": " + string.Concat(Enumerable.Repeat("[", 5_000)) + string.Concat(Enumerable.Repeat("]", 5_000)) + "}}";
        var error = HclJsonReader.Parse("deep.tf.json", json).Errors.ShouldHaveSingleItem();
        error.Line.ShouldBe(2);
        error.Message.ShouldContain("levels deep");
    }

    [Fact]
    public void Random_nesting_truncation_binary_and_huge_values_never_throw()
    {
        var random = new Random(14);
        for (var i = 0; i < Cases; i++)
        {
            var source = Generate(random, i % 5);
            var json = i % 2 == 0;
            var path = json ? $"case{i}.tf.json" : $"case{i}.tf";
            var text = json ? ToJsonish(random, source) : source;
            HclFile file = null!;
            Should.NotThrow(() => file = DirFactsReader.ParseFile(path, text), $"case {i} (seed 14)");
            file.Errors.Count.ShouldBeLessThanOrEqualTo(HclParser.MaxErrors + 1, $"case {i}");
            Should.NotThrow(() => DirFactsReader.Read(".", [file]), $"case {i}");
        }
    }

    /// <summary>0: valid nested HCL; 1: truncated; 2: binary; 3: huge values; 4: random punctuation soup.</summary>
    private static string Generate(Random random, int kind)
    {
        var valid = Block(random, random.Next(1, 1_500));
        return kind switch
        {
            0 => valid,
            1 => valid[..random.Next(valid.Length + 1)],
            2 => Encoding.Latin1.GetString(RandomBytes(random, random.Next(1, 4096))),
            3 => $"x = \"{new string('a', random.Next(50_000, 300_000))}\"\ny = <<EOT\n{new string('b', 200_000)}\nEOT\nz = {random.NextInt64()}{new string('9', 10_000)}\n",
            _ => new string(Enumerable.Range(0, random.Next(1, 5000)).Select(_ => Soup[random.Next(Soup.Length)]).ToArray()),
        };
    }

    private static string Block(Random random, int depth)
    {
        var sb = new StringBuilder("terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n  }\n}\n");
        var closers = new Stack<string>();
        for (var d = 0; d < depth; d++)
        {
            switch (random.Next(4))
            {
                case 0:
                    sb.Append("b \"l\" {\n");
                    closers.Push("}\n");
                    break;
                case 1:
                    sb.Append("k = [\n");
                    closers.Push("]\n");
                    break;
                case 2:
                    sb.Append("o = {\n");
                    closers.Push("}\n");
                    break;
                default:
                    sb.Append("s = \"${");
                    closers.Push("}\"\n");
                    break;
            }
        }

        while (closers.Count > 0)
        {
            sb.Append(closers.Pop());
        }

        return sb.ToString();
    }

    private static string ToJsonish(Random random, string source) => random.Next(3) switch
    {
        0 => "{\"locals\": {\"x\": " + string.Concat(Enumerable.Repeat("{\"a\": [", random.Next(1, 3000))) + "1" + string.Concat(Enumerable.Repeat("]}", random.Next(0, 3000))) + "}}",
        1 => source,
        _ => "{\"module\": {\"m\": {\"source\": \"" + new string('.', random.Next(1, 100_000)) + "\"}}}",
    };

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
