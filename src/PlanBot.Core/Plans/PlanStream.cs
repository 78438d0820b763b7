using System.Text.Json;
using PlanBot.Core.Plans.Values;

namespace PlanBot.Core.Plans;

/// <summary>
/// Reads a whole `terraform show -json` plan held in memory in one forward pass of a
/// <see cref="Utf8JsonReader"/> (issue 19): the summary's model (<see cref="PlanJson"/>), the values
/// marked sensitive anywhere (what <see cref="SensitiveValues.Collect"/> finds in a document), and
/// where each resource's and output's <c>change</c> object lies in the bytes, so its attribute diff can
/// be parsed on its own when the comment shows it. No <see cref="JsonDocument"/> of the whole plan is
/// built: only each change object (a few KB) is parsed, to digest its values, and dropped. State
/// sections (<c>prior_state</c>, <c>planned_values</c>: half of a plan) are only scanned; a resource's
/// values there are parsed only when its <c>sensitive_values</c> mark something.
/// <para>
/// It accepts and refuses what the deserializer (<see cref="PlanJsonContext"/>) does: the same depth
/// limit, the same syntax errors (the same reader raises them, with their line), the same fields and
/// types, the last of a repeated key wins. A field of the wrong type is reported only once the whole
/// document is known to be JSON, as a parse of the whole document first would: the first one in
/// document order. Where a key repeats, values marked sensitive under any of its copies are masked.
/// </para>
/// </summary>
internal sealed class PlanStream
{
    private static readonly JsonDocumentOptions PartOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = PlanReader.MaxDepth };

    private readonly ReadOnlyMemory<byte> _json;
    private readonly ChangeDigests _digests;
    private JsonException? _wrong;
    private long _wrongOrder = long.MaxValue; // where the reader was when it noted _wrong
    private ReadOnlyMemory<byte>? _configuration;
    private Dictionary<string, ReadOnlyMemory<byte>> _variables = new(StringComparer.Ordinal);

    private PlanStream(ReadOnlyMemory<byte> json, bool parallel, FingerprintSalt? salt)
    {
        _json = json;
        _digests = new ChangeDigests(Sensitive, parallel, salt);
    }

    /// <summary>The plan; null for a JSON <c>null</c> document.</summary>
    public PlanJson? Plan { get; private set; }

    /// <summary>Every value the plan marks sensitive.</summary>
    public HashSet<string> Sensitive { get; } = new(StringComparer.Ordinal);

    /// <summary>resource_changes' change objects by <see cref="PlanDetails.Key(string, string?)"/>.</summary>
    public Dictionary<string, ReadOnlyMemory<byte>> Resources { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>resource_drift's change objects, as <see cref="Resources"/>.</summary>
    public Dictionary<string, ReadOnlyMemory<byte>> Drift { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>output_changes' members in document order.</summary>
    public List<(string Name, ReadOnlyMemory<byte> Change)> Outputs { get; private set; } = [];

    /// <exception cref="JsonException">Not JSON, deeper than <see cref="PlanReader.MaxDepth"/>, or a field of the wrong type (with its path).</exception>
    public static PlanStream Read(ReadOnlyMemory<byte> json) => Read(json, json.Length >= ChangeDigests.ParallelFrom);

    /// <inheritdoc cref="Read(ReadOnlyMemory{byte})"/>
    /// <param name="salt">The salt the plan will be summarized with: each change's sealed digest is computed with its digest.</param>
    public static PlanStream Read(ReadOnlyMemory<byte> json, FingerprintSalt salt) => Read(json, json.Length >= ChangeDigests.ParallelFrom, salt);

    /// <inheritdoc cref="Read(ReadOnlyMemory{byte}, FingerprintSalt)"/>
    /// <param name="parallel">Whether the changes are digested on a second thread while the reader goes on (the answers are the same either way).</param>
    internal static PlanStream Read(ReadOnlyMemory<byte> json, bool parallel, FingerprintSalt? salt = null)
    {
        var stream = new PlanStream(json, parallel, salt);
        Exception? failed = null;
        try
        {
            var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = PlanReader.MaxDepth });
            reader.Read();
            stream.Root(ref reader);
            while (reader.Read())
            {
                // nothing may follow the document: the reader throws on anything but whitespace
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            failed = e; // after the changes before it: one of them may have failed first
        }
        finally
        {
            stream._digests.Finish();
        }

        // What the inline reader met first: a change that failed, else the reader's own failure, else
        // the first field of the wrong type.
        var (changeFailed, wrong, _) = stream._digests.Resolve(stream._wrongOrder);
        if ((changeFailed ?? failed) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }

        if ((wrong ?? stream._wrong) is { } firstWrong)
        {
            throw firstWrong;
        }

        stream.SensitiveVariables();
        return stream;
    }

    private void Root(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Wrong("a JSON object", ref reader, "$");
            return;
        }

        var plan = new PlanJson();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var path = "$." + name;
            switch (name)
            {
                case "format_version": plan.FormatVersion = String(ref reader, path); break;
                case "plan_format_version": plan.PlanFormatVersion = String(ref reader, path); break;
                case "terraform_version": plan.TerraformVersion = String(ref reader, path); break;
                case "errored": plan.Errored = Bool(ref reader, path); break;
                case "complete": plan.Complete = Bool(ref reader, path); break;
                case "applyable": plan.Applyable = Bool(ref reader, path); break;
                case "resource_changes": (plan.ResourceChanges, Resources) = Changes(ref reader, path); break;
                case "resource_drift": (plan.ResourceDrift, Drift) = Changes(ref reader, path); break;
                case "output_changes": plan.OutputChanges = OutputChanges(ref reader, path); break;
                case "variables": Variables(ref reader, path); break;
                case "configuration": _configuration = Slice(ref reader); break;
                case "prior_state": PriorState(ref reader); break;
                case "planned_values": State(ref reader, Sensitive); break;
                default: reader.Skip(); break;
            }
        }

        Plan = plan;
    }

    private (List<ResourceChangeJson>?, Dictionary<string, ReadOnlyMemory<byte>>) Changes(ref Utf8JsonReader reader, string path)
    {
        var index = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return (null, index);
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            Wrong("a list of resource changes", ref reader, path);
            return (null, index);
        }

        var list = new List<ResourceChangeJson>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(Change(ref reader, path, list.Count, index)!); // a null item stays null, as the deserializer leaves it
        }

        return (list, index);
    }

    private ResourceChangeJson? Change(ref Utf8JsonReader reader, string listPath, int i, Dictionary<string, ReadOnlyMemory<byte>> index)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Wrong("a JSON object", ref reader, $"{listPath}[{i}]");
            return null;
        }

        var change = new ResourceChangeJson();
        ReadOnlyMemory<byte>? values = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader, ChangeFields);
            reader.Read();
            switch (field)
            {
                case 0: change.Address = String(ref reader, listPath, i, field); break;
                case 1: change.PreviousAddress = String(ref reader, listPath, i, field); break;
                case 2 or 5 or 7: Checked(ref reader, listPath, i, field); break; // module_address, name, provider_name: read by nothing
                case 3: change.Mode = Repeated(ref reader, listPath, i, field); break;
                case 4: change.Type = Repeated(ref reader, listPath, i, field); break;
                case 6: change.Deposed = String(ref reader, listPath, i, field); break;
                case 8: change.ActionReason = Repeated(ref reader, listPath, i, field); break;
                case 9: values = reader.TokenType == JsonTokenType.Null ? null : Slice(ref reader); change.Change = null; break;
                default: reader.Skip(); break;
            }
        }

        if (values is { } slice)
        {
            // The change's values: parsed on their own, digested for the fingerprint, their sensitive
            // values collected; on a big plan on a second thread while this one reads on (ChangeDigests).
            _digests.Add(new ChangeDigests.Item(change, slice, listPath, i, reader.BytesConsumed));
            if (slice.Span[0] == (byte)'{' && change.Address is { } address)
            {
                index[PlanDetails.Key(address, change.Deposed)] = slice;
            }
        }

        return change;
    }

    private Dictionary<string, OutputChangeJson>? OutputChanges(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            Outputs = [];
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Wrong("a JSON object", ref reader, path);
            Outputs = [];
            return null;
        }

        var outputs = new Dictionary<string, OutputChangeJson>(StringComparer.Ordinal);
        var slices = new List<(string, ReadOnlyMemory<byte>)>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var slice = Slice(ref reader);
            slices.Add((name, slice));
            using var document = JsonDocument.Parse(slice, PartOptions);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                outputs[name] = null!;
                continue;
            }

            outputs[name] = Guard($"{path}.{name}", reader.BytesConsumed, () => OutputChangeJsonConverter.From(root, clone: true))!;
            SensitiveValues.Add(root, "before", "before_sensitive", Sensitive);
            SensitiveValues.Add(root, "after", "after_sensitive", Sensitive);
        }

        Outputs = slices;
        return outputs;
    }

    /// <summary>Checked as the deserializer checks them; each value kept (as bytes) for <see cref="SensitiveVariables"/>.</summary>
    private void Variables(ref Utf8JsonReader reader, string path)
    {
        _variables = new(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Wrong("a JSON object", ref reader, path);
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            _variables.Remove(name);
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Wrong("a JSON object", ref reader, $"{path}.{name}");
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isValue = reader.ValueTextEquals("value"u8);
                reader.Read();
                if (isValue)
                {
                    _variables[name] = Slice(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }

    /// <summary>The values of variables the root module declares <c>sensitive = true</c> (after the pass: the declarations may come last).</summary>
    private void SensitiveVariables()
    {
        if (_variables.Count == 0 || _configuration is not { } configuration ||
            LastMember(configuration, "root_module") is not { } root || LastMember(root, "variables") is not { } declared)
        {
            return;
        }

        using var declarations = JsonDocument.Parse(declared, PartOptions);
        if (declarations.RootElement.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var declaration in declarations.RootElement.EnumerateObject())
        {
            if (declaration.Value.ValueKind == JsonValueKind.Object && declaration.Value.TryGetProperty("sensitive", out var s) && s.ValueKind == JsonValueKind.True &&
                _variables.TryGetValue(declaration.Name, out var value))
            {
                using var document = JsonDocument.Parse(value, PartOptions);
                SensitiveValues.AddAll(document.RootElement, Sensitive);
            }
        }
    }

    /// <summary>prior_state: its <c>values</c> (terraform's shape) or, without that key, the object itself.</summary>
    private void PriorState(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        var own = new HashSet<string>(StringComparer.Ordinal);
        var hasValues = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader, StateFields);
            reader.Read();
            switch (field)
            {
                case 0: hasValues = true; State(ref reader, Sensitive); break;
                case 1: StateOutputs(ref reader, own); break;
                case 2: Module(ref reader, own); break;
                default: reader.Skip(); break;
            }
        }

        if (!hasValues)
        {
            Sensitive.UnionWith(own);
        }
    }

    private void State(ref Utf8JsonReader reader, HashSet<string> found)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader, StateFields);
            reader.Read();
            switch (field)
            {
                case 1: StateOutputs(ref reader, found); break;
                case 2: Module(ref reader, found); break;
                default: reader.Skip(); break;
            }
        }
    }

    /// <summary>State outputs: the value of each one marked <c>"sensitive": true</c>.</summary>
    private void StateOutputs(ref Utf8JsonReader reader, HashSet<string> found)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            var sensitive = false;
            ReadOnlyMemory<byte>? value = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = FieldOf(ref reader, OutputFields);
                reader.Read();
                switch (field)
                {
                    case 0: sensitive = reader.TokenType == JsonTokenType.True; reader.Skip(); break;
                    case 1: value = Slice(ref reader); break;
                    default: reader.Skip(); break;
                }
            }

            if (sensitive && value is { } slice)
            {
                using var document = JsonDocument.Parse(slice, PartOptions);
                SensitiveValues.AddAll(document.RootElement, found);
            }
        }
    }

    private void Module(ref Utf8JsonReader reader, HashSet<string> found)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader, ModuleFields);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray || field < 0)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (field == 0)
                {
                    StateResource(ref reader, found);
                }
                else
                {
                    Module(ref reader, found);
                }
            }
        }
    }

    /// <summary>A resource in state: its values are parsed only when its <c>sensitive_values</c> mark one (most mark none).</summary>
    private void StateResource(ref Utf8JsonReader reader, HashSet<string> found)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        ReadOnlyMemory<byte>? values = null;
        ReadOnlyMemory<byte>? marks = null;
        var marked = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader, ResourceFields);
            reader.Read();
            switch (field)
            {
                case 0:
                    values = Slice(ref reader);
                    break;
                case 1:
                    var start = (int)reader.TokenStartIndex;
                    marked = SkipFindingTrue(ref reader);
                    marks = _json.Slice(start, (int)reader.BytesConsumed - start);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (marked && values is { } v && marks is { } m)
        {
            using var valueDocument = JsonDocument.Parse(v, PartOptions);
            using var maskDocument = JsonDocument.Parse(m, PartOptions);
            SensitiveValues.AddMarked(valueDocument.RootElement, maskDocument.RootElement, found);
        }
    }

    /// <summary>Skips a value; whether it holds a <c>true</c> anywhere (a sensitivity mask that marks nothing holds none).</summary>
    private static bool SkipFindingTrue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return reader.TokenType == JsonTokenType.True;
        }

        var depth = reader.CurrentDepth;
        var found = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            found |= reader.TokenType == JsonTokenType.True;
        }

        return found;
    }

    /// <summary>The bytes of the value the reader is on (it is left at the value's last token).</summary>
    private ReadOnlyMemory<byte> Slice(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return _json.Slice(start, (int)reader.BytesConsumed - start);
    }

    /// <summary>The last member <paramref name="name"/> of an object held as bytes (the last of a repeated key wins); null when absent or not an object.</summary>
    private ReadOnlyMemory<byte>? LastMember(ReadOnlyMemory<byte> json, string name)
    {
        var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { MaxDepth = PlanReader.MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        ReadOnlyMemory<byte>? found = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match)
            {
                found = json.Slice(start, (int)reader.BytesConsumed - start);
            }
        }

        return found is { } member && member.Span[0] == (byte)'{' ? member : null;
    }

    private string? String(ref Utf8JsonReader reader, string listPath, int i, int field) =>
        reader.TokenType is JsonTokenType.String or JsonTokenType.Null ? (reader.TokenType == JsonTokenType.Null ? null : reader.GetString()) : String(ref reader, $"{listPath}[{i}].{ChangeFields[field]}");

    /// <summary>
    /// A field nothing reads, checked as <see cref="String(ref Utf8JsonReader, string, int, int)"/> checks it
    /// (its type, and that it is text) without a string for it (issue 19: three strings per resource).
    /// </summary>
    private void Checked(ref Utf8JsonReader reader, string listPath, int i, int field)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence || !System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
        {
            _ = String(ref reader, listPath, i, field); // decoded: refused (or accepted) exactly as a read field
        }
    }

    /// <summary>
    /// A field whose few values repeat across resources (mode, type, action_reason): one string per
    /// distinct value, found by its bytes; the same text and the same refusals as
    /// <see cref="String(ref Utf8JsonReader, string, int, int)"/>.
    /// </summary>
    private string? Repeated(ref Utf8JsonReader reader, string listPath, int i, int field)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > 64 || !System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
        {
            return String(ref reader, listPath, i, field);
        }

        Span<char> chars = stackalloc char[64];
        var text = chars[..System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, chars)];
        var lookup = _repeated.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(text, out var known))
        {
            known = new string(text);
            if (_repeated.Count < 1024)
            {
                _repeated.Add(known);
            }
        }

        return known;
    }

    private readonly HashSet<string> _repeated = new(StringComparer.Ordinal);

    // Property names are matched as UTF-8, not decoded: a 10,000-resource plan has a million of them.
    private static readonly string[] ChangeFields = ["address", "previous_address", "module_address", "mode", "type", "name", "deposed", "provider_name", "action_reason", "change"];
    private static readonly string[] StateFields = ["values", "outputs", "root_module"];
    private static readonly string[] ModuleFields = ["resources", "child_modules"];
    private static readonly string[] ResourceFields = ["values", "sensitive_values"];
    private static readonly string[] OutputFields = ["sensitive", "value"];
    private static readonly Dictionary<string[], byte[][]> Utf8Names = new[] { ChangeFields, StateFields, ModuleFields, ResourceFields, OutputFields }
        .ToDictionary(names => names, names => names.Select(System.Text.Encoding.UTF8.GetBytes).ToArray());

    /// <summary>Which of <paramref name="names"/> the property name the reader is on is; -1 for none.</summary>
    private static int FieldOf(ref Utf8JsonReader reader, string[] names)
    {
        var utf8 = Utf8Names[names];
        for (var i = 0; i < utf8.Length; i++)
        {
            if (reader.ValueTextEquals(utf8[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private string? String(ref Utf8JsonReader reader, string path)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return reader.GetString();
            case JsonTokenType.Null: return null;
            default: Wrong("a string", ref reader, path); return null;
        }
    }

    private bool? Bool(ref Utf8JsonReader reader, string path)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.Null: return null;
            default: Wrong("true or false", ref reader, path); return null;
        }
    }

    /// <summary>Notes the first field of the wrong type (thrown once the document is known to be JSON) and skips it.</summary>
    private void Wrong(string expected, ref Utf8JsonReader reader, string path)
    {
        var kind = reader.TokenType switch
        {
            JsonTokenType.StartObject => JsonValueKind.Object,
            JsonTokenType.StartArray => JsonValueKind.Array,
            JsonTokenType.String => JsonValueKind.String,
            JsonTokenType.Number => JsonValueKind.Number,
            JsonTokenType.True => JsonValueKind.True,
            JsonTokenType.False => JsonValueKind.False,
            JsonTokenType.Null => JsonValueKind.Null,
            _ => JsonValueKind.Undefined,
        };
        Note(new JsonException($"expected {expected}, found {(kind == JsonValueKind.Undefined ? "nothing" : kind.ToString())}", path, null, null), reader.TokenStartIndex);
        reader.Skip();
    }

    /// <summary>The first field of the wrong type is the one reported; <paramref name="order"/> is where the reader is (<see cref="ChangeDigests.Resolve"/>).</summary>
    private void Note(JsonException wrong, long order)
    {
        if (_wrong is null)
        {
            (_wrong, _wrongOrder) = (wrong, order);
        }
    }

    /// <summary>An output change's own errors (<see cref="ChangeObjects"/>) get the path to it, as the deserializer adds it; noted like <see cref="Wrong"/>.</summary>
    private T? Guard<T>(string path, long order, Func<T> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (JsonException e)
        {
            Note(e.Path is null ? new JsonException(e.Message, path, null, null, e) : e, order);
            return null;
        }
    }
}
