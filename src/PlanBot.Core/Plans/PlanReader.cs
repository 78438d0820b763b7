using System.Text.Json;
using System.Text.RegularExpressions;

namespace PlanBot.Core.Plans;

/// <summary>A plan JSON document that cannot be read; the message is one line naming the file and the fix.</summary>
public sealed class PlanFormatException : Exception
{
    public PlanFormatException(string message)
        : base(message)
    {
    }

    public PlanFormatException()
        : this("invalid plan JSON")
    {
    }

    public PlanFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Reads a `terraform show -json` plan from a stream and summarizes it.</summary>
public static partial class PlanReader
{
    /// <summary>
    /// How deep a plan document may nest. Terraform writes values as deep as the configuration makes
    /// them (Go's encoding/json stops at 10,000); System.Text.Json's default of 64 refused valid plans
    /// whose values nest ~58 levels. 1,000 is beyond any real plan and safe for the recursive diff.
    /// </summary>
    public const int MaxDepth = 1_000;

    [GeneratedRegex(@"^\d+\.\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex FormatVersion();

    /// <exception cref="PlanFormatException">Not JSON, not a plan, or a format this PlanBot does not read.</exception>
    public static Task<PlanSummary> ReadAsync(Stream stream, string name, CancellationToken cancellationToken = default) =>
        ReadAsync(stream, name, FingerprintSalt.None, cancellationToken);

    /// <summary>As <see cref="ReadAsync(Stream, string, CancellationToken)"/>, sensitive values fingerprinted with the repository's <paramref name="salt"/>.</summary>
    /// <exception cref="PlanFormatException">Not JSON, not a plan, or a format this PlanBot does not read.</exception>
    public static async Task<PlanSummary> ReadAsync(Stream stream, string name, FingerprintSalt salt, CancellationToken cancellationToken = default)
    {
        PlanJson? plan;
        try
        {
            plan = await JsonSerializer.DeserializeAsync(stream, PlanJsonContext.Default.PlanJson, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw NotJson(name, e);
        }

        try
        {
            return Summarize(plan ?? throw NullDocument(name), name, salt);
        }
        catch (InvalidOperationException e)
        {
            throw NotText(name, e);
        }
    }

    /// <summary>
    /// Reads the summary and the masked attribute diffs (<see cref="PlanDetails"/>) of a plan held in
    /// memory: one forward pass (<see cref="PlanStream"/>), the bytes shared, not copied.
    /// </summary>
    /// <exception cref="PlanFormatException">Not JSON, not a plan, or a format this PlanBot does not read.</exception>
    public static PlanSummary ReadDetailed(ReadOnlyMemory<byte> json, string name, IReadOnlyList<Regex> masks) =>
        ReadDetailed(json, name, masks, FingerprintSalt.None);

    /// <inheritdoc cref="ReadDetailed(ReadOnlyMemory{byte}, string, IReadOnlyList{Regex})"/>
    /// <remarks>Completes synchronously (the work is CPU-bound; no thread is started for it).</remarks>
    public static Task<PlanSummary> ReadDetailedAsync(ReadOnlyMemory<byte> json, string name, IReadOnlyList<Regex> masks) =>
        Task.FromResult(ReadDetailed(json, name, masks, FingerprintSalt.None));

    /// <inheritdoc cref="ReadDetailedAsync(ReadOnlyMemory{byte}, string, IReadOnlyList{Regex})"/>
    public static Task<PlanSummary> ReadDetailedAsync(ReadOnlyMemory<byte> json, string name, IReadOnlyList<Regex> masks, FingerprintSalt salt) =>
        Task.FromResult(ReadDetailed(json, name, masks, salt));

    /// <inheritdoc cref="ReadDetailed(ReadOnlyMemory{byte}, string, IReadOnlyList{Regex})"/>
    public static PlanSummary ReadDetailed(ReadOnlyMemory<byte> json, string name, IReadOnlyList<Regex> masks, FingerprintSalt salt)
    {
        // One forward pass over the bytes (PlanStream): the summary's model, the sensitive values and
        // where each change lies; no document of the whole plan is built (issue 19).
        PlanStream stream;
        try
        {
            stream = PlanStream.Read(json, salt);
        }
        catch (JsonException e)
        {
            throw NotJson(name, e);
        }
        catch (InvalidOperationException e)
        {
            throw NotText(name, e);
        }

        PlanSummary plan;
        try
        {
            plan = Summarize(stream.Plan ?? throw NullDocument(name), name, salt);
        }
        catch (InvalidOperationException e)
        {
            throw NotText(name, e); // replace_paths' strings are decoded here
        }

        return plan with { Details = PlanDetails.Build(stream, masks) };
    }

    /// <summary>
    /// The reader accepts a string holding invalid UTF-8 or a lone surrogate escape (<c>"\ud800"</c>);
    /// decoding it throws <see cref="InvalidOperationException"/>, which must not crash a render.
    /// </summary>
    private static PlanFormatException NotText(string name, InvalidOperationException e) =>
        new($"{name}: not a valid terraform plan JSON document (a string is not valid UTF-8 or holds an unpaired surrogate escape: {FirstLine(e.Message)}); produce it with `terraform show -json PLANFILE`", e);

    /// <inheritdoc cref="ReadDetailed(ReadOnlyMemory{byte}, string, IReadOnlyList{Regex})"/>
    /// <param name="name">How errors name the document (default: the path); a PR comment should not show server paths.</param>
    public static Task<PlanSummary> ReadDetailedFileAsync(string path, IReadOnlyList<Regex> masks, CancellationToken cancellationToken = default, string? name = null) =>
        ReadDetailedFileAsync(path, masks, FingerprintSalt.None, cancellationToken, name);

    /// <inheritdoc cref="ReadDetailed(ReadOnlyMemory{byte}, string, IReadOnlyList{Regex})"/>
    /// <param name="name">How errors name the document (default: the path); a PR comment should not show server paths.</param>
    public static async Task<PlanSummary> ReadDetailedFileAsync(string path, IReadOnlyList<Regex> masks, FingerprintSalt salt, CancellationToken cancellationToken = default, string? name = null)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlanFormatException($"{name ?? path}: cannot read the plan file ({e.Message.Replace(path, name ?? path, StringComparison.Ordinal)})", e);
        }

        return ReadDetailed(bytes, name ?? path, masks, salt);
    }

    private static PlanFormatException NotJson(string name, JsonException e)
    {
        if (e.Message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            var at = e.LineNumber is { } deep ? $":{deep + 1}" : "";
            return new PlanFormatException($"{name}{at}: a value nests more than {MaxDepth} levels deep, beyond what PlanBot reads; flatten that value in the configuration (PlanBot's limit, documented in docs/product.md)", e);
        }

        var where = e.LineNumber is { } line ? $":{line + 1}" : "";
        var what = e.Path is { Length: > 1 } path ? $" at {path}" : "";
        return new PlanFormatException($"{name}{where}: not a valid terraform plan JSON document{what} ({FirstLine(e.Message)}); produce it with `terraform show -json PLANFILE`", e);
    }

    private static PlanFormatException NullDocument(string name) =>
        new($"{name}: the document is 'null', not a plan; produce it with `terraform show -json PLANFILE`");

    public static Task<PlanSummary> ReadFileAsync(string path, CancellationToken cancellationToken = default) =>
        ReadFileAsync(path, FingerprintSalt.None, cancellationToken);

    public static async Task<PlanSummary> ReadFileAsync(string path, FingerprintSalt salt, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return await ReadAsync(stream, path, salt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlanFormatException($"{path}: cannot read the plan file ({e.Message})", e);
        }
    }

    private static string FirstLine(string message)
    {
        var cut = message.IndexOfAny(['\n', '|']);
        var text = (cut > 0 ? message[..cut] : message).Trim();
        var path = text.IndexOf(" Path:", StringComparison.Ordinal);
        return (path > 0 ? text[..path] : text).TrimEnd('.');
    }

    public static PlanSummary Summarize(PlanJson plan, string name) => Summarize(plan, name, FingerprintSalt.None);

    public static PlanSummary Summarize(PlanJson plan, string name, FingerprintSalt salt)
    {
        plan.FormatVersion ??= plan.PlanFormatVersion;
        if (plan.FormatVersion is null)
        {
            throw new PlanFormatException($"{name}: no format_version: this is not `terraform show -json` output of a plan file");
        }

        if (!FormatVersion().IsMatch(plan.FormatVersion) || !plan.FormatVersion.StartsWith("0.", StringComparison.Ordinal) && !plan.FormatVersion.StartsWith("1.", StringComparison.Ordinal))
        {
            throw new PlanFormatException($"{name}: unsupported format_version '{plan.FormatVersion}': PlanBot reads plan formats 0.x and 1.x (Terraform 0.12 and later, OpenTofu)");
        }

        if (plan.OutputChanges?.FirstOrDefault(kv => kv.Value is null) is { Key: { } broken })
        {
            throw new PlanFormatException($"{name}: output_changes.{broken} is null, not a change; the plan JSON is damaged, regenerate it with `terraform show -json`");
        }

        var changes = ReadChanges(plan.ResourceChanges, name, "resource_changes", checkDuplicates: true, salt);
        var drift = ReadChanges(plan.ResourceDrift, name, "resource_drift", checkDuplicates: false, salt);
        var outputs = (plan.OutputChanges ?? [])
            .Select(kv => new OutputChange(kv.Key, ChangeActions.FromList(kv.Value.Actions ?? []) ?? ChangeAction.NoOp, IsSensitive(kv.Value)))
            .Where(o => o.Action != ChangeAction.NoOp)
            .OrderBy(o => o.Name, StringComparer.Ordinal)
            .ToArray();

        return new PlanSummary
        {
            FormatVersion = plan.FormatVersion,
            TerraformVersion = plan.TerraformVersion,
            Errored = plan.Errored == true,
            Counts = Count(changes),
            Changes = changes,
            OutputChanges = outputs,
            Drift = drift,
            Fingerprint = PlanFingerprint.Compute(changes, OutputContents(plan.OutputChanges, salt)),
        };
    }

    private static IEnumerable<OutputContent> OutputContents(Dictionary<string, OutputChangeJson>? outputs, FingerprintSalt salt) =>
        (outputs ?? [])
            .Where(kv => ChangeActions.FromList(kv.Value.Actions ?? []) is not (null or ChangeAction.NoOp))
            .Select(kv => new OutputContent(kv.Key, string.Join(',', kv.Value.Actions!), kv.Value.Content.Seal(salt)));

    private static bool IsSensitive(OutputChangeJson change) =>
        change.BeforeSensitive is { ValueKind: JsonValueKind.True } || change.AfterSensitive is { ValueKind: JsonValueKind.True };

    private static ResourceChange[] ReadChanges(List<ResourceChangeJson>? raw, string name, string field, bool checkDuplicates, FingerprintSalt salt)
    {
        if (raw is null)
        {
            return []; // absent, not empty, when nothing changes, on refresh-only and on errored plans
        }

        var result = new List<ResourceChange>(raw.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < raw.Count; i++)
        {
            var item = raw[i];
            if (item is null || string.IsNullOrEmpty(item.Address) || item.Change?.Actions is not { } actions)
            {
                throw new PlanFormatException($"{name}: {field}[{i}] has no address or no change.actions; the plan JSON is damaged, regenerate it with `terraform show -json`");
            }

            var action = ChangeActions.FromList(actions)
                ?? throw new PlanFormatException($"{name}: {field}[{i}] ({item.Address}) has actions [{string.Join(", ", actions)}], which Terraform never produces; the plan JSON is damaged");
            var key = item.Deposed is null ? item.Address : $"{item.Address} deposed {item.Deposed}";
            if (checkDuplicates && !seen.Add(key))
            {
                throw new PlanFormatException($"{name}: {field} lists {item.Address} twice; the plan JSON is damaged, regenerate it with `terraform show -json`");
            }

            var importing = item.Change.Importing is { ValueKind: JsonValueKind.Object };
            var moved = item.PreviousAddress is not null && item.PreviousAddress != item.Address;
            if (action == ChangeAction.NoOp && !importing && !moved)
            {
                continue;
            }

            var ready = item.Change.Ready is { } r && ReferenceEquals(r.Salt, salt) ? r : null;
            result.Add(new ResourceChange
            {
                Address = item.Address,
                PreviousAddress = item.PreviousAddress,
                Type = item.Type ?? "",
                Mode = item.Mode ?? "managed",
                Action = action,
                ActionList = ready?.ActionList ?? string.Join(',', actions),
                ActionReason = item.ActionReason,
                Importing = importing,
                Deposed = item.Deposed,
                ReplacePaths = ready?.ReplacePaths ?? ReplacePaths(item.Change.ReplacePaths),
                ContentDigest = ready?.Digest ?? item.Change.Content.Seal(salt),
            });
        }

        return result.ToArray();
    }

    /// <exception cref="InvalidOperationException">A path step is a string that is not text.</exception>
    internal static string[] ReplacePaths(JsonElement? paths)
    {
        if (paths is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }

        return array.EnumerateArray()
            .Select(path => path.ValueKind != JsonValueKind.Array
                ? path.ToString()
                : string.Concat(path.EnumerateArray().Select((step, i) => step.ValueKind == JsonValueKind.Number ? $"[{step}]" : (i == 0 ? "" : ".") + step.GetString())))
            .ToArray();
    }

    private static ActionCounts Count(IReadOnlyList<ResourceChange> changes)
    {
        int create = 0, update = 0, delete = 0, replace = 0, read = 0, move = 0, import = 0, forget = 0;
        foreach (var change in changes)
        {
            switch (change.Action)
            {
                case ChangeAction.Create: create++; break;
                case ChangeAction.Update: update++; break;
                case ChangeAction.Delete: delete++; break;
                case ChangeAction.Replace: replace++; break;
                case ChangeAction.Read: read++; break;
                case ChangeAction.Forget: forget++; break;
            }

            move += change.IsMove ? 1 : 0;
            import += change.Importing ? 1 : 0;
        }

        return new ActionCounts { Create = create, Update = update, Delete = delete, Replace = replace, Read = read, Move = move, Import = import, Forget = forget };
    }
}
