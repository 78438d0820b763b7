namespace PlanBot.Core.Plans.Values;

/// <summary>
/// A line diff (Myers' O((N+M)·D) greedy algorithm) of two texts, printed as hunks with a few lines
/// of context: how long strings such as policies, user data and JSON documents are shown.
/// </summary>
public static class LineDiff
{
    /// <summary>Beyond this many differences the middle is shown as removed-then-added (bounded time and memory).</summary>
    private const int MaxEdits = 400;

    public static IEnumerable<(char Op, string Line)> Hunks(string[] before, string[] after, int context = 3)
    {
        var ops = Diff(before, after);
        var keep = new bool[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            if (ops[i].Op != ' ')
            {
                for (var j = Math.Max(0, i - context); j <= Math.Min(ops.Count - 1, i + context); j++)
                {
                    keep[j] = true;
                }
            }
        }

        var skipped = 0;
        for (var i = 0; i < ops.Count; i++)
        {
            if (!keep[i])
            {
                skipped++;
                continue;
            }

            if (skipped > 0)
            {
                yield return (' ', $"… ({skipped} unchanged line{(skipped == 1 ? "" : "s")})");
                skipped = 0;
            }

            yield return ops[i];
        }

        if (skipped > 0)
        {
            yield return (' ', $"… ({skipped} unchanged line{(skipped == 1 ? "" : "s")})");
        }
    }

    /// <summary>Every line of both texts, tagged ' ' (both), '-' (before only) or '+' (after only).</summary>
    public static List<(char Op, string Line)> Diff(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }

        var result = new List<(char, string)>(a.Length + b.Length);
        for (var i = 0; i < prefix; i++)
        {
            result.Add((' ', a[i]));
        }

        var middleA = a.AsSpan(prefix, a.Length - prefix - suffix).ToArray();
        var middleB = b.AsSpan(prefix, b.Length - prefix - suffix).ToArray();
        result.AddRange(Myers(middleA, middleB) ?? [.. middleA.Select(l => ('-', l)), .. middleB.Select(l => ('+', l))]);
        for (var i = a.Length - suffix; i < a.Length; i++)
        {
            result.Add((' ', a[i]));
        }

        return result;
    }

    private static List<(char, string)>? Myers(string[] a, string[] b)
    {
        int n = a.Length, m = b.Length, max = n + m;
        if (max == 0)
        {
            return [];
        }

        var offset = max;
        var v = new int[2 * max + 2];
        var trace = new List<int[]>();
        for (var d = 0; d <= Math.Min(max, MaxEdits); d++)
        {
            trace.Add((int[])v.Clone());
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || k != d && v[offset + k - 1] < v[offset + k + 1] ? v[offset + k + 1] : v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y])
                {
                    x++;
                    y++;
                }

                v[offset + k] = x;
                if (x >= n && y >= m)
                {
                    return Backtrack(a, b, trace, offset);
                }
            }
        }

        return null;
    }

    private static List<(char, string)> Backtrack(string[] a, string[] b, List<int[]> trace, int offset)
    {
        var result = new List<(char, string)>();
        int x = a.Length, y = b.Length;
        for (var d = trace.Count - 1; d >= 0; d--)
        {
            var v = trace[d];
            var k = x - y;
            var prevK = k == -d || k != d && v[offset + k - 1] < v[offset + k + 1] ? k + 1 : k - 1;
            var prevX = d == 0 ? 0 : v[offset + prevK];
            var prevY = prevX - prevK;
            while (x > prevX && y > prevY)
            {
                result.Add((' ', a[--x]));
                y--;
            }

            if (d > 0)
            {
                if (x == prevX)
                {
                    result.Add(('+', b[--y]));
                }
                else
                {
                    result.Add(('-', a[--x]));
                }
            }
        }

        result.Reverse();
        return result;
    }
}
