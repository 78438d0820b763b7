using System.Text.Json;
using System.Text.Json.Serialization;
using PlanBot.Core.Plans;
using PlanBot.Core.Ports;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// The source-generated JSON of stored records (<see cref="StoredJson"/>, for the NativeAOT build) writes
/// and reads exactly what the reflection-based options they were stored with before did: a result or
/// summary an earlier PlanBot stored (a plan job of the same run, a plan awaiting its merge) still reads.
/// </summary>
public sealed class StoredJsonTests
{
    // the options these records were written with before the source-generated context
    private static readonly JsonSerializerOptions Reflection = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    private static StoredProjectResult ProjectResult(ProjectStatus status) => new()
    {
        Project = "envs/prod/network",
        Head = new string('a', 40),
        RunId = "4242",
        Status = status,
        Error = status == ProjectStatus.Failed ? "Error: boom" : null,
        StateLock = new StateLockInfo("id-1", "s3://bucket/key", "OperationTypePlan", "runner@host", "2026-12-02T03:00:00Z"),
        Steps = [new StoredStep("init", TerraformOutcome.Succeeded, 0, "ok", 1200), new StoredStep("plan", TerraformOutcome.Changes, 2, "1 to add", 3400)],
        DurationMs = 4600,
        HasPlanJson = true,
        Warnings = ["the plan file could not be stored"],
    };

    public static TheoryData<ProjectStatus> Statuses => [.. Enum.GetValues<ProjectStatus>()];

    [Theory]
    [MemberData(nameof(Statuses))]
    public void A_fanned_out_plan_result_is_written_and_read_as_before(ProjectStatus status)
    {
        var result = ProjectResult(status);
        var json = JsonSerializer.Serialize(result, StoredJson.Default.StoredProjectResult);
        json.ShouldBe(JsonSerializer.Serialize(result, Reflection));
        var read = JsonSerializer.Deserialize(JsonSerializer.Serialize(result, Reflection), StoredJson.Default.StoredProjectResult)!;
        JsonSerializer.Serialize(read, Reflection).ShouldBe(json);
        json.ShouldContain("\"steps\":[{\"title\":\"init\",\"outcome\":\"succeeded\"");
    }

    [Fact]
    public void A_fanned_out_apply_result_is_written_and_read_as_before()
    {
        foreach (var status in Enum.GetValues<ApplyStatus>())
        {
            foreach (var source in Enum.GetValues<ApplySource>())
            {
                var stored = new StoredApplyResult
                {
                    Project = "db",
                    Sha = new string('b', 40),
                    RunId = "7",
                    Result = new ApplyResult("db", status, "detail", new ActionCounts { Create = 1, Delete = 2 }) { Source = source, After = "network", Differences = ["terraform_data.db: input"] },
                    WaitingFingerprint = status == ApplyStatus.Planned ? "fp" : null,
                    WaitingApprovalRequired = status == ApplyStatus.Planned,
                    WaitingCounts = status == ApplyStatus.Planned ? new ActionCounts { Replace = 1 } : null,
                };
                var json = JsonSerializer.Serialize(stored, StoredJson.Default.StoredApplyResult);
                json.ShouldBe(JsonSerializer.Serialize(stored, Reflection));
                JsonSerializer.Serialize(JsonSerializer.Deserialize(json, StoredJson.Default.StoredApplyResult)!, Reflection).ShouldBe(json);
            }
        }
    }

    [Fact]
    public void A_stored_plans_summary_is_written_and_read_as_before()
    {
        var summary = new StoredPlanSummary
        {
            Project = "app",
            Head = new string('c', 40),
            Fingerprint = "sha256:abc",
            Counts = new ActionCounts { Update = 3 },
            ApprovalRequired = true,
            Values = new Dictionary<string, IReadOnlyList<string>> { ["terraform_data.svc"] = ["input = \"v2\""] },
        };
        summary.ToJson().ShouldBe(JsonSerializer.Serialize(summary, Reflection));
        StoredPlanSummary.Parse(JsonSerializer.Serialize(summary, Reflection))!.ToJson().ShouldBe(summary.ToJson());
    }

    [Fact]
    public void An_enum_stored_as_a_number_is_refused_as_before()
    {
        var json = JsonSerializer.Serialize(ProjectResult(ProjectStatus.Planned), Reflection).Replace("\"status\":\"planned\"", "\"status\":0", StringComparison.Ordinal);
        Should.Throw<JsonException>(() => JsonSerializer.Deserialize<StoredProjectResult>(json, Reflection));
        Should.Throw<JsonException>(() => JsonSerializer.Deserialize(json, StoredJson.Default.StoredProjectResult));
    }
}
