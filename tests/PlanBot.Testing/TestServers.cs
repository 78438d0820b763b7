using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PlanBot.Testing;

/// <summary>
/// The real servers integration tests use, from npm (.ci/emulators). `.ci/run` starts them and
/// exports their endpoints (PLANBOT_TEST_DYNAMODB, _S3, _AZURITE, _AZURITE_QUEUE, _PRISM); without those, the first test
/// that needs one starts it on a free loopback port for the test process. A missing install is a
/// failure with the fix, never a skip.
/// </summary>
public static class TestServers
{
    private static readonly Lazy<string> DynamoDbServer = new(() => Start("PLANBOT_TEST_DYNAMODB", "dynalite", port => ["--port", port]));
    private static readonly Lazy<string> S3Server = new(() => Start("PLANBOT_TEST_S3", "s3rver", port => ["--address", "127.0.0.1", "--port", port, "--silent", "--directory", Temp("s3rver")]));
    private static readonly Lazy<string> AzuriteServer = new(() => Start("PLANBOT_TEST_AZURITE", "azurite-blob",
        port => ["--blobHost", "127.0.0.1", "--blobPort", port, "--location", Temp("azurite"), "--disableTelemetry", "--skipApiVersionCheck", "--silent"]));

    private static readonly Lazy<string> AzuriteQueueServer = new(() => Start("PLANBOT_TEST_AZURITE_QUEUE", "azurite-queue",
        port => ["--queueHost", "127.0.0.1", "--queuePort", port, "--location", Temp("azurite-queue"), "--disableTelemetry", "--skipApiVersionCheck", "--silent"], startSeconds: 120)); // node starts slowly on a loaded machine

    private static readonly Lazy<(string Endpoint, System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate)> AzuriteOAuthServer = new(StartAzuriteOAuth);

    private static readonly Lazy<string> PrismServer = new(() => Start("PLANBOT_TEST_PRISM", "prism", port =>
        ["mock", "-h", "127.0.0.1", "-p", port, Path.Combine(Fixtures.RepoRoot, ".ci", "emulators", "node_modules", "@octokit", "openapi", "generated", "api.github.com.json")], startSeconds: 120));

    private static readonly List<Process> Started = [];

    /// <summary>Azurite's well-known development account.</summary>
    public const string AzuriteAccount = "devstoreaccount1";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static string DynamoDb => DynamoDbServer.Value;

    public static string S3 => S3Server.Value;

    /// <summary>Prism mocking GitHub's official REST description (@octokit/openapi), validating every request.</summary>
    public static string Prism => PrismServer.Value;

    /// <summary>The blob endpoint including the account path (http://127.0.0.1:port/devstoreaccount1).</summary>
    public static string Azurite => AzuriteServer.Value + "/" + AzuriteAccount;

    /// <summary>Azurite's queue service: its endpoint including the account path (http://127.0.0.1:port/devstoreaccount1).</summary>
    public static string AzuriteQueue => AzuriteQueueServer.Value + "/" + AzuriteAccount;

    /// <summary>
    /// A second azurite, over https with `--oauth basic` (bearer tokens checked for issuer, audience and
    /// lifetime, not signature), always started here on a throwaway self-signed certificate for
    /// 127.0.0.1: its endpoint including the account path, and the certificate its clients pin.
    /// </summary>
    public static (string Endpoint, System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate) AzuriteOAuth => AzuriteOAuthServer.Value;

    private static (string, System.Security.Cryptography.X509Certificates.X509Certificate2) StartAzuriteOAuth()
    {
        var (certificate, cert, key) = LoopbackCertificate.Create(Temp("azurite-oauth-tls"));
        try
        {
            var server = Start(null, "azurite-blob", port => ["--blobHost", "127.0.0.1", "--blobPort", port, "--location", Temp("azurite-oauth"), "--disableTelemetry",
                "--skipApiVersionCheck", "--silent", "--cert", cert, "--key", key, "--oauth", "basic"], startSeconds: 120, scheme: "https");
            return (server + "/" + AzuriteAccount, certificate);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(key)!, recursive: true); // azurite read the key before listening: it is kept no longer
        }
    }

    private static string Temp(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"planbot-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Start(string? variable, string bin, Func<string, string[]> arguments, int startSeconds = 30, string scheme = "http")
    {
        if (variable is not null && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } endpoint)
        {
            return endpoint.TrimEnd('/');
        }

        var executable = Path.Combine(Fixtures.RepoRoot, ".ci", "emulators", "node_modules", ".bin", bin);
        if (!File.Exists(executable))
        {
            Install();
        }

        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{bin} is not installed and `npm ci --prefix .ci/emulators` did not install it; run it by hand to see why, or set {variable} to a running server");
        }

        var port = FreePort();
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments(port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {bin}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Started)
        {
            if (Started.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
            }

            Started.Add(process);
        }

        var deadline = DateTime.UtcNow.AddSeconds(startSeconds);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{bin} exited at start with code {process.ExitCode}");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return $"{scheme}://127.0.0.1:{port}";
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new InvalidOperationException($"{bin} did not listen on port {port} within {startSeconds} s");
    }

    /// <summary>
    /// `npm ci` from the lock file, once: so `dotnet test` alone works on a fresh clone. Test
    /// assemblies run in parallel processes, so the install holds an exclusive lock file.
    /// </summary>
    private static void Install()
    {
        var dir = Path.Combine(Fixtures.RepoRoot, ".ci", "emulators");
        var deadline = DateTime.UtcNow.AddMinutes(10);
        FileStream? gate = null;
        while (gate is null)
        {
            try
            {
                gate = new FileStream(Path.Combine(dir, ".install.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500); // another test process is installing
            }
        }

        using (gate)
        {
            if (Directory.Exists(Path.Combine(dir, "node_modules", ".bin")))
            {
                return;
            }

            var info = new ProcessStartInfo("npm") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            {
                info.ArgumentList.Add(argument);
            }

            using var npm = Process.Start(info) ?? throw new InvalidOperationException("cannot start npm: install Node.js 20 and npm");
            _ = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            if (!npm.WaitForExit(TimeSpan.FromMinutes(10)) || npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"`npm ci` in .ci/emulators failed: {errors.Result}");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void StopAll()
    {
        lock (Started)
        {
            foreach (var process in Started)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
            }
        }
    }
}
