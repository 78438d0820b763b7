namespace PlanBot.Core.Discovery.Hcl;

/// <summary>A value PlanBot could read from HCL; anything it does not evaluate is <see cref="HclUnknown"/>.</summary>
public abstract record HclValue
{
    /// <summary>The literal string, or null when the value is not a plain string.</summary>
    public string? AsString => this is HclString s ? s.Value : null;
}

public sealed record HclString(string Value) : HclValue;

public sealed record HclNumber(string Text) : HclValue;

public sealed record HclBool(bool Value) : HclValue;

public sealed record HclNull : HclValue
{
    public static readonly HclNull Instance = new();
}

public sealed record HclList(IReadOnlyList<HclValue> Items) : HclValue;

public sealed record HclObject(IReadOnlyList<KeyValuePair<string, HclValue>> Items) : HclValue
{
    public HclValue? Get(string key) => Items.LastOrDefault(kv => kv.Key == key).Value;
}

/// <summary>An expression left unevaluated (references, calls, templates); <see cref="Source"/> is its text.</summary>
public sealed record HclUnknown(string Source) : HclValue;

public sealed record HclAttribute(string Name, HclValue Value, int Line);

public sealed record HclBlock(string Type, IReadOnlyList<string> Labels, HclBody Body, int Line);

public sealed record HclBody(IReadOnlyList<HclAttribute> Attributes, IReadOnlyList<HclBlock> Blocks)
{
    public static readonly HclBody Empty = new([], []);

    public HclValue? Attribute(string name) => Attributes.LastOrDefault(a => a.Name == name)?.Value;

    public IEnumerable<HclBlock> BlocksOfType(string type) => Blocks.Where(b => b.Type == type);
}

public sealed record HclDiagnostic(int Line, int Column, string Message)
{
    public override string ToString() => $"{Line}:{Column}: {Message}";
}

/// <summary>One parsed file: what could be read, and every syntax error met on the way.</summary>
public sealed record HclFile(string Path, HclBody Body, IReadOnlyList<HclDiagnostic> Errors);
