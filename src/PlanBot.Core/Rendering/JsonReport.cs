using PlanBot.Core.Runs;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PlanBot.Core.Rendering;

// The --json-out document of PRODUCT.md ("The JSON report"). Keys beyond the contract (move, import,
// forget, fingerprint, reasons, deleted, warnings) are additions; none of the contract's are renamed.

public sealed record JsonReportDocument(
    string Head,
    string Base,
    IReadOnlyList<IReadOnlyList<string>> Levels,
    IReadOnlyList<JsonReportProject> Projects,
    IReadOnlyList<JsonReportDeleted> Deleted,
    IReadOnlyList<string> Warnings);

public sealed record JsonReportProject(
    string Name,
    string Dir,
    string Workspace,
    string Status,
    JsonReportChanges Changes,
    JsonReportApproval Approval,
    string? Error,
    string? Fingerprint,
    IReadOnlyList<string> Reasons);

public sealed record JsonReportChanges(int Create, int Update, int Delete, int Replace, int Read, int Move, int Import, int Forget);

public sealed record JsonReportApproval(bool Required, IReadOnlyList<string> Reasons);

public sealed record JsonReportDeleted(string Dir, IReadOnlyList<string> Files);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(JsonReportDocument))]
internal sealed partial class JsonReportContext : JsonSerializerContext;

public static class JsonReport
{
    public static string StatusName(ProjectStatus status) => status switch
    {
        ProjectStatus.Planned => "planned",
        ProjectStatus.NoChanges => "no_changes",
        ProjectStatus.Failed => "failed",
        ProjectStatus.Skipped => "skipped",
        ProjectStatus.Locked => "locked",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static JsonReportDocument From(RunReport report) => new(
        report.Head,
        report.Base,
        report.Levels,
        report.Projects.Select(p =>
        {
            var c = p.Plan?.Counts ?? new();
            return new JsonReportProject(
                p.Project.Name,
                p.Project.Dir,
                p.Project.Workspace,
                StatusName(p.Status),
                new JsonReportChanges(c.Create, c.Update, c.Delete, c.Replace, c.Read, c.Move, c.Import, c.Forget),
                new JsonReportApproval(p.Approval.Required, p.Approval.Reasons),
                p.Error,
                p.Plan?.Fingerprint,
                p.Reasons);
        }).ToArray(),
        report.Deleted.Select(d => new JsonReportDeleted(d.Dir, d.DeletedFiles)).ToArray(),
        report.Warnings);

    public static string Serialize(RunReport report) =>
        JsonSerializer.Serialize(From(report), JsonReportContext.Default.JsonReportDocument);
}
