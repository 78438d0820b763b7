using System.Text.RegularExpressions;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Tests.Plans;

public class SecretScrubberTests
{
    [Theory]
    [InlineData("hunter22", "hunter22", "(sensitive)")]
    [InlineData("pg://u:hunter22@h", "hunter22", "pg://u:(sensitive)@h")]
    [InlineData("hunter22hunter22", "hunter22", "(sensitive)")] // adjacent copies are one mask
    [InlineData("abc", "abc", "(sensitive)")] // short: masked where it is the whole value
    [InlineData("abcdef-abc", "abc", "abcdef-abc")] // ... but not inside other text
    [InlineData("true", "true", "true")] // too common to be a secret
    [InlineData("1", "1", "1")]
    public void Sensitive_values_are_masked_by_length_class(string text, string secret, string expected) =>
        new SecretScrubber([secret], []).Scrub(text).ShouldBe(expected);

    [Fact]
    public void Overlapping_and_nested_secrets_are_all_covered()
    {
        var scrubber = new SecretScrubber(["abcdefgh", "efghijkl", "cdef12"], []);
        scrubber.Scrub("xxabcdefghijklyy").ShouldBe("xx(sensitive)yy");
        scrubber.Scrub("zzcdef12zz").ShouldBe("zz(sensitive)zz");
        scrubber.Scrub("nothing here").ShouldBe("nothing here");
    }

    [Fact]
    public void Thousands_of_secrets_are_found_in_one_pass()
    {
        var secrets = Enumerable.Range(0, 5000).Select(i => $"secret-{i:D5}").ToArray();
        var scrubber = new SecretScrubber(secrets, []);
        scrubber.SecretCount.ShouldBe(5000);
        scrubber.Scrub("a secret-04999 and secret-00000.").ShouldBe("a (sensitive) and (sensitive).");
    }

    [Fact]
    public void Config_mask_regexes_mask_their_matches()
    {
        var scrubber = new SecretScrubber([], [new Regex("AKIA[0-9A-Z]{16}")]);
        scrubber.Scrub("key AKIAABCDEFGHIJKLMNOP here").ShouldBe("key (sensitive) here");
    }

    public static TheoryData<string> Awkward() => new()
    {
        "pa\"ss\\word\t1",      // quote, backslash, TAB
        "<&>'+`é\u2028x",          // what Go and System.Text.Json escape as \u
        "${tpl}%{x}secret",        // what HCL diagnostics write as $${ and %%{
        "line1-abcdefghijklmnop\nline2-abcdefghijklmnop", // multi-line
    };

    [Theory]
    [MemberData(nameof(Awkward))]
    public void A_secret_is_masked_in_every_encoding_it_is_printed_in(string secret)
    {
        var scrubber = new SecretScrubber([secret], []);
        var relaxed = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        var once = System.Text.Json.JsonSerializer.Serialize(secret)[1..^1];
        foreach (var form in new[]
                 {
                     secret,
                     once,
                     System.Text.Json.JsonSerializer.Serialize(secret, new System.Text.Json.JsonSerializerOptions { Encoder = relaxed })[1..^1],
                     System.Text.Json.JsonSerializer.Serialize(once)[1..^1], // JSON inside a JSON string
                     System.Net.WebUtility.HtmlEncode(secret),
                 })
        {
            var text = "before " + form + " after";
            scrubber.Scrub(text).ShouldBe("before (sensitive) after", form);
        }

        scrubber.SecretCount.ShouldBe(1);
    }

    [Fact]
    public void Terraform_json_escaping_is_lowercase_go_style()
    {
        // jsonencode({p = "a<b\"c"}) prints {"p":"a\u003cb\"c"}
        new SecretScrubber(["a<b\"c-long"], []).Scrub("{\"p\":\"a\\u003cb\\\"c-long\"}").ShouldBe("{\"p\":\"(sensitive)\"}");
    }

    [Fact]
    public void A_multi_line_secret_is_masked_line_by_line_too()
    {
        var pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----";
        var scrubber = new SecretScrubber([pem], []);
        scrubber.Scrub("diag: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC").ShouldBe("diag: (sensitive)");
        scrubber.Scrub(pem).ShouldBe("(sensitive)");
    }

    [Fact]
    public void Own_secrets_are_read_from_the_environment_by_name_and_rotated_webhook_secrets_by_part()
    {
        var environment = new Dictionary<string, string?>
        {
            ["GITHUB_TOKEN"] = "ghs_tokenvalue123",
            ["PLANBOT_WEBHOOK_SECRET"] = "old-secret-1, new-secret-2",
            ["PLANBOT_PLAN_KEY"] = "cGxhbmtleXBsYW5rZXk=",
            ["INPUT_GITHUB-APP-PRIVATE-KEY"] = "-----BEGIN-----xyz",
            ["AWS_SECRET_ACCESS_KEY"] = "aws/secret+key",
            ["PLANBOT_DATA_DIR"] = "/tmp/planbot-data",
            ["INPUT_WORKING-DIRECTORY"] = "infra/terraform",
            ["SHORT_TOKEN"] = "abc",
        };
        var values = OwnSecrets.Values(environment);
        values.ShouldContain("ghs_tokenvalue123");
        values.ShouldContain("old-secret-1");
        values.ShouldContain("new-secret-2");
        values.ShouldContain("cGxhbmtleXBsYW5rZXk=");
        values.ShouldContain("-----BEGIN-----xyz");
        values.ShouldContain("aws/secret+key");
        values.ShouldNotContain("/tmp/planbot-data");
        values.ShouldNotContain("infra/terraform");
        values.ShouldNotContain("abc");
        OwnSecrets.Scrubber(environment).Scrub("sig with new-secret-2 and ghs_tokenvalue123").ShouldBe("sig with (sensitive) and (sensitive)");
    }

    [Theory]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("GH_TOKEN", true)]
    [InlineData("INPUT_TOKEN", true)]
    [InlineData("INPUT_PLAN-KEY", true)]
    [InlineData("PLANBOT_GITHUB_APP_PRIVATE_KEY", true)]
    [InlineData("PLANBOT_WEBHOOK_SECRET", true)]
    [InlineData("PLANBOT_PLAN_KEY", true)]
    [InlineData("ACTIONS_RUNTIME_TOKEN", true)]
    [InlineData("ACTIONS_ID_TOKEN_REQUEST_URL", true)]
    [InlineData("ACTIONS_ID_TOKEN_REQUEST_TOKEN", true)]
    [InlineData("AWS_SECRET_ACCESS_KEY", false)] // terraform's own credentials: passed (and masked)
    [InlineData("TF_VAR_github_token", false)]
    [InlineData("PATH", false)]
    [InlineData("GITHUB_REPOSITORY", false)]
    public void What_terraform_does_not_inherit(string name, bool withheld) =>
        OwnSecrets.Withheld(name).ShouldBe(withheld);
}
