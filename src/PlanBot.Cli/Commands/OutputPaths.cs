using PlanBot.Core.Workflows;
using PlanBot.Core.Common;

namespace PlanBot.Cli.Commands;

/// <summary>
/// Checks where PlanBot will write before it does any work: an unwritable --json-out found after a
/// 20-minute plan loses the plan. Each failure is a <see cref="UsageException"/> (exit 2) naming the
/// option and the fix.
/// </summary>
public static class OutputPaths
{
    /// <summary>Each named output file can be written (its dir exists and takes a file; it is not a dir).</summary>
    public static void CheckFiles(params (string Option, string? Path)[] outputs)
    {
        foreach (var (option, path) in outputs)
        {
            if (path is not null)
            {
                CheckFile(option, path);
            }
        }
    }

    private static void CheckFile(string option, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new UsageException($"{option} {path}: is a directory; name a file in it, like {Path.Combine(path, "report.out")}");
        }

        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
        {
            throw new UsageException($"{option} {path}: the directory {dir} does not exist; create it or choose another path");
        }

        try
        {
            if (File.Exists(full))
            {
                using var existing = new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite); // not truncated until the real write
            }
            else
            {
                using (new FileStream(full, FileMode.CreateNew, FileAccess.Write))
                {
                }

                File.Delete(full);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option} {path}: cannot be written ({e.Message}); choose a writable path");
        }
    }

    /// <summary>PLANBOT_DATA_DIR (or its default): a directory PlanBot can create and write in.</summary>
    public static string CheckDataDir(string dir, string name = "PLANBOT_DATA_DIR")
    {
        if (File.Exists(dir))
        {
            throw new UsageException($"{name} {dir}: is a file, not a directory; point {name} at a directory (it is created if missing)");
        }

        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{name} {dir}: cannot be written ({e.Message}); point {name} at a writable directory");
        }

        return dir;
    }

    /// <summary>Each ';'-separated URL of --urls is an absolute http(s) URL with a host and a port, as Kestrel needs.</summary>
    public static void CheckUrls(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).DefaultIfEmpty(""))
        {
            // Kestrel's wildcard hosts (http://*:8080, http://+:8080) are not valid URIs; check them with a placeholder host.
            var probe = url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0 || uri.AbsolutePath != "/")
            {
                throw new UsageException($"--urls '{url}': not a listen address; write e.g. http://0.0.0.0:8080 (several separated by ';')");
            }
        }
    }
}
