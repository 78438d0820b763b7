using System.Text.Json;
using Octokit.Internal;
using System.Text.Json.Serialization.Metadata;

namespace PlanBot.GitHub.Rest;

/// <summary>
/// Octokit's Connection serializer: every body PlanBot sends or reads is a type of
/// <see cref="RestJsonContext"/>, with System.Text.Json's generated metadata. Octokit's HTTP pipeline,
/// pagination, rate-limit and error handling are unchanged; its reflection-based
/// <c>SimpleJsonSerializer</c> is never used for our calls: it cost hundreds of JIT-compiled methods
/// per run, and the Action's NativeAOT executable does not keep the metadata it reflects over. A type
/// outside the context is a bug, said as such on the first test that makes the call.
/// </summary>
internal sealed class GitHubJson : IJsonSerializer
{
    public string Serialize(object item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return JsonSerializer.Serialize(item, Info(item.GetType()));
    }

    public T Deserialize<T>(string json) => JsonSerializer.Deserialize(json, (JsonTypeInfo<T>)Info(typeof(T)))!;

    private static JsonTypeInfo Info(Type type) =>
        RestJsonContext.Default.GetTypeInfo(type)
        ?? throw new InvalidOperationException($"{type.Name} is not in RestJsonContext: every GitHub request and answer PlanBot reads or writes is a record of Rest/RestModels.cs");
}
