using System.Text.Json.Nodes;

namespace PlanBot.Core.Comments;

/// <summary>
/// The sections of PlanBot's hidden comment metadata (<see cref="PlanCommentMeta"/>): <c>locks</c>
/// (the github lock backend), <c>plan</c> (head, when it was first planned, fingerprints) and
/// <c>approvals</c>. Each writer replaces only its own section.
/// </summary>
public static class MetaSections
{
    public static JsonNode? Get(string? json, string section)
    {
        try
        {
            return json is null ? null : JsonNode.Parse(json)?[section]?.DeepClone();
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // damaged by a hand edit: as if absent
        }
    }

    public static string Set(string? json, string section, JsonNode? value)
    {
        JsonObject root;
        try
        {
            root = json is null ? [] : JsonNode.Parse(json) as JsonObject ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            root = [];
        }

        root[section] = value;
        return root.ToJsonString();
    }
}
