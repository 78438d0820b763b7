using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Octokit.Internal;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// Octokit's Connection serializer: the types of <see cref="RestJsonContext"/> (what a PR run reads
/// and writes) with System.Text.Json's generated metadata, everything else with Octokit's own
/// <see cref="SimpleJsonSerializer"/>, built on first use (it compiles an accessor for every property of
/// every type it meets: hundreds of JIT-compiled methods a run that never needs it should not pay).
/// Octokit's HTTP pipeline, pagination, rate-limit and error handling are unchanged.
/// </summary>
internal sealed class GitHubJson : IJsonSerializer
{
    private readonly Lazy<SimpleJsonSerializer> _octokit = new(() => new SimpleJsonSerializer(), LazyThreadSafetyMode.ExecutionAndPublication);

    public string Serialize(object item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return RestJsonContext.Default.GetTypeInfo(item.GetType()) is { } info ? JsonSerializer.Serialize(item, info) : _octokit.Value.Serialize(item);
    }

    public T Deserialize<T>(string json) =>
        RestJsonContext.Default.GetTypeInfo(typeof(T)) is JsonTypeInfo<T> info ? JsonSerializer.Deserialize(json, info)! : _octokit.Value.Deserialize<T>(json);
}
