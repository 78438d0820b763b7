namespace PlanBot.Core.Workflows;

/// <summary>
/// Which projects a run plans: the ones the change affects (the default), every project (drift
/// checks), or those named (<c>-p NAME</c>) and those in named dirs (<c>-d DIR</c>).
/// </summary>
public sealed record ProjectSelection
{
    public static readonly ProjectSelection Affected = new();

    public static readonly ProjectSelection Everything = new() { All = true };

    public IReadOnlyList<string> Names { get; init; } = [];

    public IReadOnlyList<string> Dirs { get; init; } = [];

    public bool All { get; init; }

    /// <summary>Neither names, dirs nor all: the affected projects.</summary>
    public bool IsAffected => !All && Names.Count == 0 && Dirs.Count == 0;

    public static ProjectSelection Of(IReadOnlyList<string> names, IReadOnlyList<string>? dirs = null) => new() { Names = names, Dirs = dirs ?? [] };
}
