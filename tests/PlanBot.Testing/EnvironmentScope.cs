namespace PlanBot.Testing;

/// <summary>Sets process environment variables for one test and puts the old values back on dispose (tests using it must not run in parallel).</summary>
public sealed class EnvironmentScope : IDisposable
{
    private readonly Dictionary<string, string?> _saved = [];

    /// <summary>The variables set through this scope (a child process gets them with their current values).</summary>
    public IReadOnlyCollection<string> Names => _saved.Keys;

    public void Set(string name, string? value)
    {
        _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
