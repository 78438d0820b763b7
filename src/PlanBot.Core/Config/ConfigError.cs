namespace PlanBot.Core.Config;

/// <summary>One problem in planbot.yaml: where it is, what is wrong, and how to fix it.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Bad configuration (exit code 2). Every error names file, line and the fix.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public ConfigException(string message)
        : base(message)
    {
        Errors = [];
    }

    public ConfigException()
        : this("invalid configuration")
    {
    }

    public ConfigException(string message, Exception inner)
        : base(message, inner)
    {
        Errors = [];
    }

    public IReadOnlyList<ConfigError> Errors { get; }
}
