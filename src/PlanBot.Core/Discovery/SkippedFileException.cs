namespace PlanBot.Core.Discovery;

/// <summary>
/// A file the tree will not read by design (a symlink leading out of the repository): discovery
/// skips it with a warning instead of reporting a broken file.
/// </summary>
public sealed class SkippedFileException : IOException
{
    public SkippedFileException(string message)
        : base(message)
    {
    }

    public SkippedFileException()
    {
    }

    public SkippedFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
