using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using PlanBot.Terraform.Processes;

namespace PlanBot.Terraform.Versions;

/// <summary>The outcome of <see cref="VersionInstaller.EnsureAsync"/>: the binary's path, or why there is none.</summary>
public sealed record InstallResult(string? Path, string? Error);

/// <summary>
/// Installs terraform or tofu releases into a versions dir (<c>&lt;dir&gt;/&lt;product&gt;/&lt;version&gt;/&lt;product&gt;</c>)
/// from a mirror laid out like releases.hashicorp.com: <c>&lt;mirror&gt;/&lt;product&gt;/&lt;version&gt;/&lt;product&gt;_&lt;version&gt;_SHA256SUMS</c>
/// and <c>…_&lt;os&gt;_&lt;arch&gt;.zip</c>. The zip's SHA-256 must equal its line in SHA256SUMS, or nothing is
/// installed; an unverified binary is never run. A version is installed once (a lock per version, in
/// this process and across processes) and appears only complete (moved into place in one rename).
/// </summary>
public sealed class VersionInstaller(string versionsDir, HttpClient? http = null)
{
    public const string HashiCorpReleases = "https://releases.hashicorp.com";
    /// <summary>OpenTofu publishes on GitHub: <c>…/download/v&lt;version&gt;/tofu_&lt;version&gt;_…</c>.</summary>
    public const string OpenTofuReleases = "https://github.com/opentofu/opentofu/releases/download";

    private const long MaxZipBytes = 512L * 1024 * 1024;
    private const long MaxBinaryBytes = 1024L * 1024 * 1024;
    private const int MaxSumsBytes = 256 * 1024;

    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(5) });

    /// <summary>terraform or tofu, from the configured binary's name (tofu, /opt/bin/tofu, tofu-1.8 → tofu).</summary>
    public static string ProductOf(string binary) => Path.GetFileName(binary).StartsWith("tofu", StringComparison.Ordinal) ? "tofu" : "terraform";

    /// <summary>Where a version's files are: the mirror's layout, or OpenTofu's GitHub release layout by default.</summary>
    public static string ReleaseUrl(string? mirror, string product, string version) =>
        mirror is null && product == "tofu" ? $"{OpenTofuReleases}/v{version}" : $"{(mirror ?? HashiCorpReleases).TrimEnd('/')}/{product}/{version}";

    public static string Platform =>
        (OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "darwin" : "linux") + "_" + RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "amd64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "386",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };

    /// <summary>The installed binary, installing it first when it is not there yet.</summary>
    public async Task<InstallResult> EnsureAsync(string product, string version, string? mirror, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(product);
        ArgumentNullException.ThrowIfNull(version);
        if (product is not ("terraform" or "tofu") || !Core.Config.RunSettingsValidator.IsExactVersion(version))
        {
            return new InstallResult(null, $"cannot install {product} '{version}': give terraform or tofu and an exact version like 1.9.8");
        }

        var exe = OperatingSystem.IsWindows() ? product + ".exe" : product;
        var home = Path.Combine(versionsDir, product, version);
        var binary = Path.Combine(home, exe);
        if (File.Exists(binary))
        {
            return new InstallResult(binary, null);
        }

        await using var held = (await ExclusiveLock.AcquireAsync(Path.Combine(versionsDir, product, version + ".lock"), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        if (File.Exists(binary))
        {
            return new InstallResult(binary, null); // another project (or process) installed it while this one waited
        }

        var release = ReleaseUrl(mirror, product, version);
        var zipName = $"{product}_{version}_{Platform}.zip";
        var sumsName = $"{product}_{version}_SHA256SUMS";
        var staging = Path.Combine(versionsDir, product, $".staging-{version}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            string sums;
            try
            {
                sums = await ReadTextAsync($"{release}/{sumsName}", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or UnauthorizedAccessException or InvalidDataException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new InstallResult(null, $"cannot install {product} {version}: reading {release}/{sumsName} failed ({e.Message}); check terraform.mirror and that {version} is released");
            }

            var expected = ExpectedHash(sums, zipName);
            if (expected is null)
            {
                return new InstallResult(null, $"cannot install {product} {version}: {sumsName} at {release} lists no {zipName}; the mirror has no build for {Platform}");
            }

            var zip = Path.Combine(staging, zipName);
            string actual;
            try
            {
                actual = await DownloadAsync($"{release}/{zipName}", zip, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or UnauthorizedAccessException or InvalidDataException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new InstallResult(null, $"cannot install {product} {version}: downloading {release}/{zipName} failed ({e.Message})");
            }

            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                return new InstallResult(null, $"refused {product} {version}: {zipName} from {release} has SHA-256 {actual}, but {sumsName} says {expected}; the file is not the release, so it was deleted and not run (check terraform.mirror)");
            }

            var unpacked = Path.Combine(staging, "bin");
            Directory.CreateDirectory(unpacked);
            if (Extract(zip, exe, Path.Combine(unpacked, exe)) is { } extractError)
            {
                return new InstallResult(null, $"cannot install {product} {version}: {zipName} {extractError}");
            }

            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(home)!);
                Directory.Move(unpacked, home); // one rename: the version dir exists only complete and verified
            }
            catch (IOException) when (File.Exists(binary))
            {
                // installed meanwhile by a process that does not share the lock file's directory view
            }

            return new InstallResult(binary, null);
        }
        finally
        {
            try
            {
                Directory.Delete(staging, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a staging dir left behind holds nothing that is ever run
            }
        }
    }

    /// <summary>The hash SHA256SUMS gives for <paramref name="file"/> (lines of "&lt;hex&gt;  &lt;name&gt;").</summary>
    public static string? ExpectedHash(string sums, string file)
    {
        foreach (var line in sums.Split('\n'))
        {
            var parts = line.Trim().Split(' ', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[1].TrimStart('*') == file && parts[0].Length == 64 && parts[0].All(Uri.IsHexDigit))
            {
                return parts[0].ToLowerInvariant();
            }
        }

        return null;
    }

    /// <summary>Only the entry named like the product is taken (no other path is ever written), bounded in size.</summary>
    private static string? Extract(string zip, string exe, string target)
    {
        try
        {
            using var archive = ZipFile.OpenRead(zip);
            var entry = archive.Entries.FirstOrDefault(e => e.FullName == exe);
            if (entry is null)
            {
                return $"holds no '{exe}' at its top level";
            }

            if (entry.Length > MaxBinaryBytes)
            {
                return $"'{exe}' is {entry.Length:N0} bytes, over the {MaxBinaryBytes:N0}-byte limit";
            }

            using (var source = entry.Open())
            using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
            {
                source.CopyTo(output);
            }

            // a child started by another thread meanwhile holds a copy of the write descriptor until its exec: wait those out,
            // or the first run of this binary can fail with ETXTBSY
            Processes.StartedChild.ExecutableWritten();

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            return null;
        }
        catch (InvalidDataException e)
        {
            return $"is not a valid zip ({e.Message})";
        }
    }

    private async Task<Stream> OpenAsync(string url, CancellationToken cancellationToken)
    {
        var uri = new Uri(url);
        if (uri.IsFile)
        {
            return File.OpenRead(uri.LocalPath);
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new IOException($"{uri.Scheme} is not allowed: only https and file mirrors");
        }

        var response = await (http ?? SharedHttp.Value).GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
        }

        return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> ReadTextAsync(string url, CancellationToken cancellationToken)
    {
        await using var stream = await OpenAsync(url, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxSumsBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
        }

        return total > MaxSumsBytes ? throw new InvalidDataException($"over {MaxSumsBytes:N0} bytes") : System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>Streams the file to disk while hashing it; returns the SHA-256 in lower-case hex.</summary>
    private async Task<string> DownloadAsync(string url, string target, CancellationToken cancellationToken)
    {
        await using var stream = await OpenAsync(url, cancellationToken).ConfigureAwait(false);
        await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > MaxZipBytes)
            {
                throw new InvalidDataException($"over {MaxZipBytes:N0} bytes");
            }

            hash.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
