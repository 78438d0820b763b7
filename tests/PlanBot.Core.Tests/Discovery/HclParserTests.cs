using PlanBot.Core.Discovery.Hcl;

namespace PlanBot.Core.Tests.Discovery;

public class HclParserTests
{
    private static HclBody Parse(string source, int expectedErrors = 0)
    {
        var file = HclParser.Parse("main.tf", source);
        file.Errors.Count.ShouldBe(expectedErrors, string.Join("; ", file.Errors));
        return file.Body;
    }

    [Fact]
    public void Reads_blocks_labels_and_literal_attributes()
    {
        var body = Parse("""
            terraform {
              backend "s3" {
                bucket  = "state-bucket"
                key     = "prod/network.tfstate"
                encrypt = true
                retries = 3
                nothing = null
              }
            }
            """);
        var backend = body.BlocksOfType("terraform").Single().Body.BlocksOfType("backend").Single();
        backend.Labels.ShouldBe(["s3"]);
        backend.Body.Attribute("bucket").ShouldBe(new HclString("state-bucket"));
        backend.Body.Attribute("key")!.AsString.ShouldBe("prod/network.tfstate");
        backend.Body.Attribute("encrypt").ShouldBe(new HclBool(true));
        backend.Body.Attribute("retries").ShouldBe(new HclNumber("3"));
        backend.Body.Attribute("nothing").ShouldBe(HclNull.Instance);
        backend.Line.ShouldBe(2);
    }

    [Fact]
    public void Keeps_references_calls_and_templates_as_unknown_with_their_source()
    {
        var body = Parse("""
            locals {
              a = var.region
              b = "${var.env}/network.tfstate"
              c = upper("x")
              d = var.enabled ? 1 : 0
              e = [for s in var.list : upper(s)]
              f = { for k, v in var.map : k => v }
              g = "plain $${not_interpolated}"
            }
            """).BlocksOfType("locals").Single().Body;
        body.Attribute("a").ShouldBe(new HclUnknown("var.region"));
        body.Attribute("b").ShouldBeOfType<HclUnknown>();
        body.Attribute("c").ShouldBe(new HclUnknown("upper(\"x\")"));
        body.Attribute("d").ShouldBe(new HclUnknown("var.enabled ? 1 : 0"));
        body.Attribute("e").ShouldBeOfType<HclUnknown>().Source.ShouldStartWith("[for s in");
        body.Attribute("f").ShouldBeOfType<HclUnknown>();
        body.Attribute("g").ShouldBe(new HclString("plain ${not_interpolated}"));
    }

    [Fact]
    public void Reads_lists_and_objects_over_several_lines_with_both_separators()
    {
        var body = Parse("""
            x = [
              "a",
              "b", # trailing comment
            ]
            y = {
              path = "../network/terraform.tfstate"
              "quoted key" = 1
              colon: false,
              nested = { deep = ["z"] }
            }
            """);
        body.Attribute("x").ShouldBe(new HclList([new HclString("a"), new HclString("b")]), new ListComparer());
        var y = body.Attribute("y").ShouldBeOfType<HclObject>();
        y.Get("path")!.AsString.ShouldBe("../network/terraform.tfstate");
        y.Get("quoted key").ShouldBe(new HclNumber("1"));
        y.Get("colon").ShouldBe(new HclBool(false));
        y.Get("nested").ShouldBeOfType<HclObject>().Get("deep").ShouldBeOfType<HclList>().Items.Single().AsString.ShouldBe("z");
    }

    [Fact]
    public void Reads_heredocs_plain_and_indented()
    {
        var body = Parse("""
            a = <<EOT
            line one
              line two
            EOT
            b = <<-EOT
                indented
                  more
                EOT
            c = "after"
            """);
        body.Attribute("a")!.AsString.ShouldBe("line one\n  line two\n");
        body.Attribute("b")!.AsString.ShouldBe("indented\n  more\n");
        body.Attribute("c")!.AsString.ShouldBe("after");
    }

    [Fact]
    public void Skips_all_three_comment_styles()
    {
        var body = Parse("""
            # hash
            // slashes
            /* block
               comment */ a = 1
            b = 2 /* inline */
            """);
        body.Attributes.Select(a => a.Name).ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Decodes_string_escapes_and_nested_interpolation_quotes()
    {
        var body = Parse("""
            a = "tab\there \"quoted\" \u00e9"
            b = "${lookup(var.m, "key", "}")}"
            c = "after"
            """);
        body.Attribute("a")!.AsString.ShouldBe("tab\there \"quoted\" é");
        body.Attribute("b").ShouldBeOfType<HclUnknown>();
        body.Attribute("c")!.AsString.ShouldBe("after");
    }

    [Fact]
    public void Reads_single_line_blocks_and_negative_numbers()
    {
        var body = Parse("""
            module "m" { source = "../m" }
            variable "v" { default = -1.5 }
            """);
        body.BlocksOfType("module").Single().Body.Attribute("source")!.AsString.ShouldBe("../m");
        body.BlocksOfType("variable").Single().Body.Attribute("default").ShouldBe(new HclNumber("-1.5"));
    }

    [Theory]
    [InlineData("a = \"unterminated\nb = 1", "unterminated string")]
    [InlineData("block {\n  a = 1\n", "missing its closing '}'")]
    [InlineData("a = <<EOT\nno end", "unterminated heredoc")]
    [InlineData("}\na = 1", "unexpected '}'")]
    [InlineData("= 3\na = 1", "expected an attribute name")]
    [InlineData("/* never closed", "unterminated /* comment")]
    [InlineData("a = [1, 2\nb = 1", "expected ',' or ']' in list, found 'end of file'")]
    public void Malformed_input_gives_a_positioned_error_and_never_throws(string source, string message)
    {
        var file = HclParser.Parse("bad.tf", source);
        file.Errors.ShouldNotBeEmpty();
        string.Join("; ", file.Errors).ShouldContain(message);
        file.Errors[0].Line.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Recovers_after_an_error_and_still_reads_later_blocks()
    {
        var file = HclParser.Parse("main.tf", """
            resource "x" "y" {
              a = = 1
            }
            module "after" {
              source = "../after"
            }
            """);
        file.Body.BlocksOfType("module").Single().Body.Attribute("source")!.AsString.ShouldBe("../after");
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(42);
        const string alphabet = "ab{}[]()=\"'$%<>-#/*\n\t ,:.\\0123EOT";
        for (var i = 0; i < 2_000; i++)
        {
            var chars = Enumerable.Range(0, random.Next(1, 80)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray();
            Should.NotThrow(() => HclParser.Parse("fuzz.tf", new string(chars)));
        }
    }

    [Fact]
    public void Json_syntax_maps_blocks_by_their_label_counts()
    {
        var file = HclJsonReader.Parse("main.tf.json", """
            {
              "terraform": { "backend": { "s3": { "bucket": "b", "key": "k" } } },
              "module": { "net": { "source": "../modules/net" } },
              "data": { "terraform_remote_state": { "net": { "backend": "local", "config": { "path": "${var.p}" } } } }
            }
            """);
        file.Errors.ShouldBeEmpty();
        var backend = file.Body.BlocksOfType("terraform").Single().Body.BlocksOfType("backend").Single();
        backend.Labels.ShouldBe(["s3"]);
        backend.Body.Attribute("bucket")!.AsString.ShouldBe("b");
        file.Body.BlocksOfType("module").Single().Labels.ShouldBe(["net"]);
        var data = file.Body.BlocksOfType("data").Single();
        data.Labels.ShouldBe(["terraform_remote_state", "net"]);
        data.Body.Attribute("config").ShouldBeOfType<HclObject>().Get("path").ShouldBeOfType<HclUnknown>();
    }

    [Fact]
    public void Invalid_json_syntax_is_a_positioned_error()
    {
        var file = HclJsonReader.Parse("main.tf.json", "{\n  \"module\": {\n}");
        file.Errors.Single().Line.ShouldBeGreaterThan(1);
        file.Errors.Single().Message.ShouldStartWith("invalid JSON");
    }

    private sealed class ListComparer : IEqualityComparer<HclValue>
    {
        public bool Equals(HclValue? x, HclValue? y) => x is HclList a && y is HclList b ? a.Items.SequenceEqual(b.Items) : Equals(x, y);

        public int GetHashCode(HclValue obj) => 0;
    }
}
