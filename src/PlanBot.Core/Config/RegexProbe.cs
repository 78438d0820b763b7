using System.Text;
using System.Text.RegularExpressions;

namespace PlanBot.Core.Config;

/// <summary>
/// Catches a catastrophic regular expression at config load, not after terraform planned: the regex
/// runs under its match timeout on inputs built to trigger backtracking (long runs of the characters
/// it names, ending in one it cannot match), which is where nested repetition like (a+)+ explodes.
/// </summary>
public static class RegexProbe
{
    /// <summary>The match timeout every regex from config runs under, at load and at run time.</summary>
    public static TimeSpan MatchTimeout { get; } = TimeSpan.FromSeconds(1);

    private const int RunLength = 4_096;

    /// <summary>The first probe input the regex times out on, or null when it handled them all.</summary>
    public static string? FindSlowInput(Regex regex)
    {
        foreach (var input in Inputs(regex.ToString()))
        {
            try
            {
                _ = regex.Match(input);
            }
            catch (RegexMatchTimeoutException)
            {
                return input;
            }
        }

        return null;
    }

    private static IEnumerable<string> Inputs(string pattern)
    {
        var alphabet = pattern.Where(char.IsLetterOrDigit).Concat("aA0 _-./=:\"").Distinct().Take(48).ToArray();
        foreach (var c in alphabet)
        {
            yield return new string(c, RunLength) + "\u0001";
            yield return new string(c, 32) + "\u0001"; // exponential blow-ups show on short inputs already
        }

        // Alternating characters: (ab|a)* style patterns.
        var mixed = new StringBuilder(RunLength);
        for (var i = 0; mixed.Length < RunLength; i++)
        {
            mixed.Append(alphabet[i % alphabet.Length]);
        }

        yield return mixed.Append('\u0001').ToString();
    }
}
