namespace PlanBot.Core.Workflows;

/// <summary>
/// planbot.yaml's text at a commit, being read before the run knows which commit it trusts
/// (<see cref="RunConfigLoader.ReadAhead"/>, issue 19). It is a guess: the loader takes it only for the side
/// whose commit is <see cref="Sha"/> (the trusted commit or the fork point) and reads any other side at its own
/// commit, so the policy never comes from another commit than the trusted one. Not parsed yet: its errors are
/// named after the side that takes it, and told only then (<see cref="Read"/>'s failure is marked as seen).
/// </summary>
/// <param name="Checkout">The checkout it was read in.</param>
/// <param name="Relative">The config dir it was read under, relative to the checkout ('.' for its root).</param>
/// <param name="Sha">The commit it was read at (a full SHA).</param>
/// <param name="Read">The first of planbot.yaml / planbot.yml found there with its text; null: neither.</param>
/// <remarks>
/// A class with an internal constructor, not a record: only <see cref="RunConfigLoader.ReadAhead"/> makes one,
/// so no caller can pair another commit's text with a SHA the loader trusts (or change one with <c>with</c>).
/// </remarks>
public sealed class ConfigReadAhead
{
    internal ConfigReadAhead(string checkout, string relative, string sha, Task<(string Path, string Text)?> read)
    {
        Checkout = checkout;
        Relative = relative;
        Sha = sha;
        Read = read;
    }

    public string Checkout { get; }

    public string Relative { get; }

    public string Sha { get; }

    public Task<(string Path, string Text)?> Read { get; }
}
