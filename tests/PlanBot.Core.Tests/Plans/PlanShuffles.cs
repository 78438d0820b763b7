using System.Text.Json.Nodes;

namespace PlanBot.Core.Tests.Plans;

/// <summary>Rewrites of a plan JSON document that change its order, never its content.</summary>
public static class PlanShuffles
{
    /// <summary>Every object's keys in reverse order, recursively (arrays keep their order: it is content).</summary>
    public static JsonNode ReverseKeys(JsonNode node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Reverse().Select(kv => KeyValuePair.Create(kv.Key, kv.Value is null ? null : ReverseKeys(kv.Value)))),
        JsonArray array => new JsonArray([.. array.Select(item => item is null ? null : ReverseKeys(item))]),
        _ => node.DeepClone(),
    };

    /// <summary>resource_changes (and resource_drift) in a random order.</summary>
    public static JsonNode ShuffleChanges(JsonNode plan, Random random)
    {
        var copy = plan.DeepClone();
        foreach (var field in new[] { "resource_changes", "resource_drift" })
        {
            if (copy[field] is JsonArray array)
            {
                var items = array.Select(i => i?.DeepClone()).ToArray();
                random.Shuffle(items);
                copy[field] = new JsonArray(items);
            }
        }

        return copy;
    }
}
