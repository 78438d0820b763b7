using System.Security.Cryptography;
using System.Text;

namespace PlanBot.Core.Plans;

/// <summary>
/// The identity of what a plan would do: SHA-256 over the sorted "address\taction[\tfrom previous]"
/// lines of every change except reads (data sources re-read on every plan and would void approvals)
/// and no-ops. Two plans with equal fingerprints create, change and destroy the same things.
/// </summary>
public static class PlanFingerprint
{
    public static string Compute(IEnumerable<ResourceChange> changes)
    {
        var lines = changes
            .Where(c => c.Action is not (ChangeAction.Read or ChangeAction.NoOp) || c.IsMove || c.Importing)
            .Select(c => $"{c.Address}{(c.Deposed is null ? "" : " deposed " + c.Deposed)}\t{c.ActionList}" +
                         (c.IsMove ? $"\tmoved from {c.PreviousAddress}" : "") + (c.Importing ? "\timport" : ""))
            .Order(StringComparer.Ordinal);
        var text = string.Join('\n', lines);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
