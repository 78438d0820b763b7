using System.Security.Cryptography;
using System.Text;
using PlanBot.Core.Plans;

namespace PlanBot.Core.Tests.Plans;

/// <summary>
/// <see cref="PlanFingerprint.Compute(IEnumerable{ResourceChange}, IEnumerable{OutputContent})"/> sorts
/// and hashes its lines as fields (issue 19, fourth pass); the oracle below is how the third pass
/// joined every line into a string, sorted them ordinally and hashed the joined text. They must agree
/// on every input, including addresses that are prefixes of one another or hold TABs, newlines,
/// characters below TAB, surrogates and characters beyond the BMP (which order differently as UTF-16).
/// </summary>
public class PlanFingerprintOracleTests
{
    private static string Oracle(IEnumerable<ResourceChange> changes, IEnumerable<OutputContent> outputs)
    {
        var lines = new List<string>();
        foreach (var c in changes)
        {
            if (c.Action is not (ChangeAction.Read or ChangeAction.NoOp) || c.IsMove || c.Importing)
            {
                lines.Add($"resource\t{c.Address}\t{c.Deposed}\t{c.ActionList}\t{(c.IsMove ? c.PreviousAddress : "")}\t{(c.Importing ? 1 : 0)}\t{c.ContentDigest}");
            }
        }

        foreach (var o in outputs)
        {
            lines.Add($"output\t{o.Name}\t{o.Actions}\t{o.Digest}");
        }

        lines.Sort(StringComparer.Ordinal);
        return PlanFingerprint.Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    private static readonly string[] Pieces = ["a", "a.b", "a.b[0]", "a.b[10]", "a.b[1]", "\t", "x\ty", "\n", "\u0001", "\u0008", "~", "é", "\uff5e", "😀", "\ud800", "module.m", "module.m.", "", "aws_s3_bucket.ab", "aws_s3_bucket.a"];

    private static readonly ChangeAction[] Actions = [ChangeAction.Create, ChangeAction.Update, ChangeAction.Delete, ChangeAction.Replace, ChangeAction.Read, ChangeAction.NoOp];

    [Fact]
    public void Seeded_random_changes_fingerprint_as_the_joined_lines_did()
    {
        var random = new Random(19);
        string Text() => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pieces[random.Next(Pieces.Length)]));
        for (var round = 0; round < 300; round++)
        {
            var changes = Enumerable.Range(0, random.Next(0, 40)).Select(_ => new ResourceChange
            {
                Address = Text(),
                Type = "t",
                Action = Actions[random.Next(Actions.Length)],
                ActionList = random.Next(3) switch { 0 => "create", 1 => "delete,create", _ => Text() },
                Deposed = random.Next(4) == 0 ? Text() : null,
                PreviousAddress = random.Next(4) == 0 ? Text() : null,
                Importing = random.Next(5) == 0,
                ContentDigest = random.Next(3) == 0 ? Text() : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            }).ToList();
            var outputs = Enumerable.Range(0, random.Next(0, 5)).Select(_ => new OutputContent(Text(), random.Next(2) == 0 ? "create" : Text(), Text())).ToList();

            PlanFingerprint.Compute(changes, outputs).ShouldBe(Oracle(changes, outputs), $"round {round}");
        }
    }

    [Fact]
    public void Equal_and_prefix_addresses_order_by_the_rest_of_the_line()
    {
        ResourceChange Change(string address, string actions, string digest, string? deposed = null) =>
            new() { Address = address, Type = "t", Action = ChangeAction.Update, ActionList = actions, ContentDigest = digest, Deposed = deposed };
        var changes = new[]
        {
            Change("a.b", "update", "2"), Change("a.b", "update", "1"), Change("a.b", "delete", "3", "d1"), Change("a.b", "delete", "3", "d0"),
            Change("a.bc", "update", "0"), Change("a.b\u0001", "update", "0"), Change("a.b\tx", "update", "0"), Change("a", "update", "9"),
        };
        PlanFingerprint.Compute(changes, []).ShouldBe(Oracle(changes, []));
        PlanFingerprint.Compute(changes.Reverse(), [new("o", "create", "x")]).ShouldBe(Oracle(changes, [new("o", "create", "x")]));
    }
}
