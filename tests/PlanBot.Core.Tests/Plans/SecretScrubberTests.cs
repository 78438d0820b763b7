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
}
