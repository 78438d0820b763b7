using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PlanBot.Core.Plans.Values;

/// <summary>How attribute values and paths are printed in a diff.</summary>
public static class ValueText
{
    public const string Unknown = "(known after apply)";

    /// <summary>Strings longer than this, or with a line break, are shown as a line diff.</summary>
    public const int LongString = 100;

    // A writer, not JsonSerializer: the same text without reflection-based serializer metadata, which a NativeAOT render binary (src/PlanBot.Render) cannot have.
    private static readonly JsonWriterOptions Pretty = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A scalar as HCL would show it: strings quoted and escaped, numbers and booleans bare.</summary>
    public static string Scalar(JsonElement value, SecretScrubber scrubber) => value.ValueKind switch
    {
        JsonValueKind.String => Quote(scrubber.Scrub(value.GetString()!)),
        JsonValueKind.Number => scrubber.Scrub(value.GetRawText()),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => "null",
        JsonValueKind.Object => value.EnumerateObject().Any() ? "{…}" : "{}",
        _ => value.GetArrayLength() == 0 ? "[]" : "[…]",
    };

    public static string Quote(string text)
    {
        if (text == SecretScrubber.Masked)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append($"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    public static bool IsLong(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { } s && (s.Length > LongString || s.Contains('\n', StringComparison.Ordinal));

    /// <summary>The lines a long string is compared by: a JSON document pretty-printed, anything else split at line breaks.</summary>
    public static string[] Lines(string text, out bool json)
    {
        json = false;
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] is '{' or '[')
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                json = true;
                var buffer = new System.Buffers.ArrayBufferWriter<byte>(text.Length * 2);
                using (var writer = new Utf8JsonWriter(buffer, Pretty))
                {
                    document.RootElement.WriteTo(writer);
                }

                return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n');
            }
            catch (JsonException)
            {
                // not JSON after all: compare it as text
            }
        }

        return text.TrimEnd('\n').Split('\n');
    }

    /// <summary>`tags.Name`, `ingress[0].port`, `tags["kubernetes.io/role"]`.</summary>
    public static string Member(string path, string name)
    {
        var simple = name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-');
        return simple ? (path.Length == 0 ? name : $"{path}.{name}") : $"{path}[{Quote(name)}]";
    }
}
