namespace PlanBot.Core.Common;

/// <summary>Bad usage or unreadable input (exit code 2): the message names what was wrong and what to do.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
        : this("bad usage")
    {
    }

    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
