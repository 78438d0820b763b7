using PlanBot.Core.Ports;
using PlanBot.Terraform.Git;

namespace PlanBot.Core.Tests.Workflows;

/// <summary>
/// Real git (<see cref="GitCli"/>) that records each question as it is asked (before it is answered), can hold the
/// branch's head back until the test releases it (so what was asked meanwhile is known, without timing), and can
/// fail chosen questions: a question started on a guess whose failure must never surface.
/// </summary>
public sealed class RecordingGit : IGit
{
    private readonly GitCli _git = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RecordingGit(bool holdFirstRef = false)
    {
        if (!holdFirstRef)
        {
            _release.SetResult();
        }
    }

    /// <summary>Questions asked, in order: <c>first-ref</c>, <c>merge-base A B</c>, <c>show SHA</c>, <c>resolve REF</c>.</summary>
    public List<string> Asked { get; } = [];

    /// <summary>A question (as recorded) to fail with this exception instead of asking git.</summary>
    public Func<string, Exception?> Fail { get; init; } = _ => null;

    public void Release() => _release.TrySetResult();

    public Task<string> ResolveAsync(string repoDir, string reference, CancellationToken cancellationToken) =>
        Ask($"resolve {reference}", () => _git.ResolveAsync(repoDir, reference, cancellationToken));

    public Task<string> MergeBaseAsync(string repoDir, string a, string b, CancellationToken cancellationToken) =>
        Ask($"merge-base {a} {b}", () => _git.MergeBaseAsync(repoDir, a, b, cancellationToken));

    public Task<IReadOnlyList<ChangedFile>> DiffAsync(string repoDir, string fromSha, string toSha, CancellationToken cancellationToken) =>
        Ask("diff", () => _git.DiffAsync(repoDir, fromSha, toSha, cancellationToken));

    public Task<string?> ShowFileAsync(string repoDir, string sha, string path, CancellationToken cancellationToken) =>
        Ask($"show-file {sha} {path}", () => _git.ShowFileAsync(repoDir, sha, path, cancellationToken));

    public Task<(string Path, string Text)?> ShowFirstFileAsync(string repoDir, string sha, IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
        Ask($"show {sha}", () => _git.ShowFirstFileAsync(repoDir, sha, paths, cancellationToken));

    public async Task<string?> FirstRefAsync(string repoDir, IReadOnlyList<string> fullRefs, CancellationToken cancellationToken)
    {
        Record("first-ref");
        await _release.Task.WaitAsync(cancellationToken);
        return await _git.FirstRefAsync(repoDir, fullRefs, cancellationToken);
    }

    private Task<T> Ask<T>(string what, Func<Task<T>> call)
    {
        Record(what);
        return Fail(what) is { } failure ? Task.FromException<T>(failure) : call();
    }

    private void Record(string what)
    {
        lock (Asked)
        {
            Asked.Add(what);
        }
    }

    /// <summary>What was asked so far (a copy: questions started on a guess may still be recorded meanwhile).</summary>
    public string[] Snapshot()
    {
        lock (Asked)
        {
            return [.. Asked];
        }
    }
}
