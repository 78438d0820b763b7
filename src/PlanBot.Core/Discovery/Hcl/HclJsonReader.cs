using System.Text.Json;

namespace PlanBot.Core.Discovery.Hcl;

/// <summary>
/// Reads Terraform's JSON syntax (.tf.json) into the same model as native HCL. Block labels depend on
/// the block type, so the types discovery needs are listed with their label counts.
/// </summary>
public static class HclJsonReader
{
    private static readonly Dictionary<string, int> LabelCounts = new()
    {
        ["resource"] = 2, ["data"] = 2, ["module"] = 1, ["provider"] = 1, ["variable"] = 1,
        ["output"] = 1, ["terraform"] = 0, ["locals"] = 0, ["backend"] = 1, ["cloud"] = 0,
        ["moved"] = 0, ["import"] = 0, ["removed"] = 0, ["check"] = 1, ["required_providers"] = 0,
    };

    public static HclFile Parse(string path, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(source, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = HclParser.MaxDepth });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new HclFile(path, HclBody.Empty, [new HclDiagnostic(1, 1, "a .tf.json file must hold one JSON object")]);
            }

            return new HclFile(path, ReadBody(doc.RootElement, topLevel: true), []);
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var column = (int)(e.BytePositionInLine ?? 0) + 1;
            var message = e.Message.Contains("maximum configured depth", StringComparison.Ordinal)
                ? $"nested more than {HclParser.MaxDepth} levels deep: PlanBot does not read deeper; flatten this value"
                : "invalid JSON: " + FirstSentence(e.Message);
            return new HclFile(path, HclBody.Empty, [new HclDiagnostic(line, column, message)]);
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static HclBody ReadBody(JsonElement obj, bool topLevel)
    {
        var attributes = new List<HclAttribute>();
        var blocks = new List<HclBlock>();
        foreach (var property in obj.EnumerateObject())
        {
            if (property.Name == "//")
            {
                continue; // JSON syntax comment
            }

            var isBlock = LabelCounts.TryGetValue(property.Name, out var labels) &&
                          (topLevel || property.Name is "backend" or "cloud" or "required_providers");
            if (isBlock)
            {
                AddBlocks(blocks, property.Name, [], property.Value, labels);
            }
            else
            {
                attributes.Add(new HclAttribute(property.Name, ToValue(property.Value), 0));
            }
        }

        return new HclBody(attributes, blocks);
    }

    private static void AddBlocks(List<HclBlock> blocks, string type, List<string> labels, JsonElement value, int labelsLeft)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                AddBlocks(blocks, type, labels, item, labelsLeft);
            }

            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (labelsLeft == 0)
        {
            blocks.Add(new HclBlock(type, labels.ToArray(), ReadBody(value, topLevel: false), 0));
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            AddBlocks(blocks, type, [.. labels, property.Name], property.Value, labelsLeft - 1);
        }
    }

    private static HclValue ToValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() is { } s && (s.Contains("${", StringComparison.Ordinal) || s.Contains("%{", StringComparison.Ordinal))
            ? new HclUnknown(s)
            : new HclString(value.GetString()!),
        JsonValueKind.Number => new HclNumber(value.GetRawText()),
        JsonValueKind.True => new HclBool(true),
        JsonValueKind.False => new HclBool(false),
        JsonValueKind.Null => HclNull.Instance,
        JsonValueKind.Array => new HclList(value.EnumerateArray().Select(ToValue).ToArray()),
        JsonValueKind.Object => new HclObject(value.EnumerateObject().Select(p => new KeyValuePair<string, HclValue>(p.Name, ToValue(p.Value))).ToArray()),
        _ => new HclUnknown(value.GetRawText()),
    };
}
