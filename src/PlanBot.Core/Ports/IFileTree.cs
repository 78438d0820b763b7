namespace PlanBot.Core.Ports;

/// <summary>Read access to a checked-out working tree, by repository-relative '/'-separated paths.</summary>
public interface IFileTree
{
    /// <summary>The absolute directory this tree is rooted at (terraform runs below it).</summary>
    string Root { get; }

    /// <summary>Every file, except under hidden directories (.git, .terraform, .planbot, …).</summary>
    IReadOnlyList<string> ListFiles();

    string ReadText(string path);
}
