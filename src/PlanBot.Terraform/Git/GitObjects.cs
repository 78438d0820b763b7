using System.Text;
using PlanBot.Core.Common;
using PlanBot.Terraform.Processes;

namespace PlanBot.Terraform.Git;

/// <summary>One object <c>git cat-file --batch</c> answered with: its id, its type and its bytes.</summary>
public sealed record GitObject(string Id, string Type, byte[] Content);

/// <summary>
/// One <c>git cat-file --batch</c> process asked for objects one after the other: a commit, the trees
/// down a path and the file cost one process instead of a <c>rev-parse</c>, an <c>ls-tree</c> and a
/// <c>show</c> each (issue 19: every git process costs a run's start-up 3–50 ms). Only object ids
/// (hex) and <c>ID^{commit}</c> are ever written to it, so no name is open to git's ref rules and no
/// input can break its line protocol. Disposing closes its input; git then exits (killed if it does not).
/// git starts as every child does (<see cref="StartedChild"/>: <c>posix_spawn</c> where it can), on the
/// git found on the PATH of the environment it is given.
/// </summary>
public sealed class GitObjects : IAsyncDisposable
{
    private readonly StartedChild _process;
    private readonly Stream _input;
    private readonly BufferedStream _output;
    private readonly Task<string> _errors;
    private readonly string _repoDir;
    private readonly byte[] _header = new byte[256];

    private GitObjects(StartedChild process, string repoDir)
    {
        _process = process;
        _repoDir = repoDir;
        _input = process.StandardInput!;
        _output = new BufferedStream(process.StandardOutput.BaseStream, 64 * 1024);
        _errors = process.StandardError.ReadToEndAsync();
    }

    /// <param name="inherited">The environment git starts from instead of this process's own; either way without what <see cref="GitEnvironment.Withheld"/> names.</param>
    /// <exception cref="UsageException">git is not installed.</exception>
    public static async Task<GitObjects> StartAsync(string repoDir, IReadOnlyDictionary<string, string>? inherited, CancellationToken cancellationToken)
    {
        var environment = StartedChild.EnvironmentFrom(inherited);
        GitEnvironment.Apply(environment, null);
        const string NotInstalled = "git is not installed or not on PATH ({0}); PlanBot needs it to find what changed";
        var git = StartedChild.Resolve("git", repoDir, environment.GetValueOrDefault("PATH"))
            ?? throw new UsageException(string.Format(System.Globalization.CultureInfo.InvariantCulture, NotInstalled, "no git on its PATH"));
        try
        {
            return new GitObjects(await StartedChild.StartAsync(git, ["-C", repoDir, "cat-file", "--batch"], environment, repoDir, ownSession: false, standardInput: true, cancellationToken).ConfigureAwait(false), repoDir);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException(string.Format(System.Globalization.CultureInfo.InvariantCulture, NotInstalled, e.Message));
        }
    }

    /// <summary>The object <paramref name="name"/> names (an id, or <c>ID^{commit}</c>); null when the checkout does not hold it.</summary>
    /// <exception cref="ArgumentException">A name that is not an object id.</exception>
    /// <exception cref="UsageException">git stopped answering.</exception>
    public async Task<GitObject?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        if (await AskAsync(name, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        var content = new byte[found.Size + 1]; // and the closing newline
        await _output.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
        return new GitObject(found.Id, found.Type, content[..^1]);
    }

    /// <summary>Asks for <paramref name="name"/> and reads the answer's header: the object's id, type and size; null when it is missing.</summary>
    private async Task<(string Id, string Type, long Size)?> AskAsync(string name, CancellationToken cancellationToken)
    {
        var id = name.EndsWith("^{commit}", StringComparison.Ordinal) ? name[..^"^{commit}".Length] : name;
        if (!IsObjectId(id))
        {
            throw new ArgumentException($"'{name}' is not an object id", nameof(name));
        }

        try
        {
            await _input.WriteAsync(Encoding.ASCII.GetBytes(name + "\n"), cancellationToken).ConfigureAwait(false); // hex digits and ^{commit} only (checked above)
            await _input.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // EPIPE: git has exited (not a repository, or it failed): what it said is the error
            await Task.WhenAny(_errors, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken)).ConfigureAwait(false);
            throw Broken("stopped answering");
        }

        // "<id> <type> <size>\n<content>\n", or "<name> missing\n" (also "ambiguous", "dangling", …)
        var header = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        var fields = header.Split(' ');
        if (fields.Length != 3 || !IsObjectId(fields[0]) || !long.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) || size > int.MaxValue - 1)
        {
            return fields.Length == 2 && fields[0] == name ? null : throw Broken($"answered '{Printable(header)}' for {name}");
        }

        return (fields[0], fields[1], size);
    }

    /// <summary>
    /// The id of the object <paramref name="name"/> names (an id, or <c>ID^{commit}</c>), its content skipped unread into
    /// memory (a commit verified only, whatever the size of its message); null when the checkout does not hold it.
    /// </summary>
    /// <exception cref="ArgumentException">A name that is not an object id.</exception>
    /// <exception cref="UsageException">git stopped answering.</exception>
    public async Task<string?> ReadIdAsync(string name, CancellationToken cancellationToken)
    {
        if (await AskAsync(name, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (var left = found.Size + 1; left > 0;) // and the closing newline
            {
                var read = await _output.ReadAsync(chunk.AsMemory(0, (int)Math.Min(left, chunk.Length)), cancellationToken).ConfigureAwait(false);
                left -= read > 0 ? read : throw Broken("stopped answering");
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return found.Id;
    }

    /// <summary>
    /// The entry <paramref name="name"/> of a tree object: its mode (<c>100644</c>, <c>40000</c>, <c>120000</c>…) and id; null when the tree has none.
    /// A tree is <c>MODE SP NAME NUL ID</c> repeated, the id raw (20 bytes, or 32 in a SHA-256 repository).
    /// </summary>
    public static (string Mode, string Id)? Entry(GitObject tree, string name)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var idLength = tree.Id.Length / 2;
        var wanted = Encoding.UTF8.GetBytes(name);
        var bytes = tree.Content.AsSpan();
        while (bytes.Length > 0)
        {
            var space = bytes.IndexOf((byte)' ');
            var end = bytes.IndexOf((byte)0);
            if (space < 0 || end < space || bytes.Length < end + 1 + idLength)
            {
                throw new UsageException($"git cat-file gave a tree {tree.Id[..7]} it could not have written; check the repository with `git fsck`");
            }

            if (bytes[(space + 1)..end].SequenceEqual(wanted))
            {
                return (Encoding.ASCII.GetString(bytes[..space]), Convert.ToHexStringLower(bytes.Slice(end + 1, idLength)));
            }

            bytes = bytes[(end + 1 + idLength)..];
        }

        return null;
    }

    /// <summary>A full object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.</summary>
    public static bool IsObjectId(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigitLower);

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (await _output.ReadAsync(_header.AsMemory(length, 1), cancellationToken).ConfigureAwait(false) == 0)
            {
                throw Broken("stopped answering");
            }

            if (_header[length] == (byte)'\n')
            {
                return Encoding.ASCII.GetString(_header, 0, length);
            }

            if (++length == _header.Length)
            {
                throw Broken("answered a line longer than any object header");
            }
        }
    }

    private UsageException Broken(string what)
    {
        var errors = _errors.IsCompletedSuccessfully ? _errors.Result.Trim() : "";
        return new UsageException($"git cat-file in {_repoDir} {what}{(errors.Length > 0 ? $": {errors.Split('\n')[0]}" : "")}; is it a git repository PlanBot can read?");
    }

    private static string Printable(string text) => text.Length > 80 ? text[..80] + "…" : text;

    public async ValueTask DisposeAsync()
    {
        try
        {
            _input.Close(); // end of input: git exits
            await _output.DisposeAsync().ConfigureAwait(false); // and if a cancelled read left it writing an object, it ends on SIGPIPE
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            _process.KillTree(); // it did not exit: it and anything it started
        }
        finally
        {
            _process.Dispose();
        }
    }
}
