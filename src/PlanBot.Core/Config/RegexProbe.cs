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

    /// <summary>
    /// The long probe inputs' length. The probe's verdict is a wall-clock timeout, so it must never be a close
    /// call: what it refuses has to take far longer than <see cref="MatchTimeout"/> on any machine, and what it
    /// keeps far less, even under load. Exponential patterns ((a+)+$) blow up on the short inputs already. A
    /// quadratic one does not: .NET reduces (a|a) to a, so (a|a)*$ is (a)*$, which retries the run from each of
    /// its n start positions (n²/2 steps). At 4,096 characters that took 0.7–1.3 s here, straddling the 1 s
    /// timeout: the same config was refused or accepted by the machine's speed (the flaky HostileConfigTests
    /// case). At 16,384 it is ~16× that (10–14 s measured, still over the timeout on a CPU ten times faster),
    /// while a linear pattern takes under 1 ms. Terraform values this long are ordinary (a JSON policy document),
    /// and at run time a mask that times out hides the whole value after a second's wait: refusing it at load is the point.
    /// </summary>
    private const int RunLength = 16_384;

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
