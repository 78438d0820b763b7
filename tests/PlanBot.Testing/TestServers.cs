using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PlanBot.Testing;

/// <summary>
/// The real servers integration tests use, from npm (.ci/emulators). `.ci/run` starts them and
/// exports their endpoints (PLANBOT_TEST_DYNAMODB, _S3, _AZURITE, _AZURITE_QUEUE, _SQS, _PRISM); without those, the first test
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

    private static readonly Lazy<string> SqsServer = new(() => Environment.GetEnvironmentVariable("PLANBOT_TEST_SQS") is { Length: > 0 } endpoint ? endpoint.TrimEnd('/') : StartSqs().Endpoint);

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

    /// <summary>local-aws-sqs (SQS's JSON protocol, as AWSSDK.SQS 4 speaks it): its endpoint; queue URLs are {endpoint}/123456789012/{name}.</summary>
    public static string Sqs => SqsServer.Value;

    /// <summary>
    /// A private local-aws-sqs for one test, which stops it (disposing it) to see what an outage does.
    /// .ci/emulators/sqs.js listens on a port of the OS's choosing and prints it: no free-port race and
    /// no polling.
    /// </summary>
    public static SqsEmulator StartSqs()
    {
        var script = Path.Combine(Fixtures.RepoRoot, ".ci", "emulators", "sqs.js");
        Install(Path.Combine(Fixtures.RepoRoot, ".ci", "emulators", "node_modules", "local-aws-sqs", "package.json"));
        var info = Supervised("node", [script, "--port", "0", "--hostname", "127.0.0.1"]);

        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node: install Node.js 20");
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text && text.StartsWith("listening ", StringComparison.Ordinal))
            {
                listening.TrySetResult(text["listening ".Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                errors.AppendLine(line.Data);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"{script} exited at start: {errors}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Track(process);
        if (!listening.Task.Wait(TimeSpan.FromSeconds(120)))
        {
            throw new InvalidOperationException($"{script} did not say it listens within 120 s");
        }

        return new SqsEmulator(listening.Task.Result, process);
    }

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
        Install(executable);

        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"{bin} is not installed and `npm ci --prefix .ci/emulators` did not install it; run it by hand to see why, or set {variable} to a running server");
        }

        var port = FreePort();
        var info = Supervised(executable, arguments(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {bin}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Track(process);
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
    /// Runs a server under <c>sh</c> holding the test process's end of a pipe as its stdin: when the test process
    /// is gone, however it ended, the kernel closes that pipe and the watcher SIGKILLs the server. Ending the
    /// servers from the test process at exit cannot be relied on: vstest kills the testhost ~100 ms after the run
    /// (VSTEST_TESTHOST_SHUTDOWN_TIMEOUT), often before a ProcessExit handler ran or finished, and
    /// <c>Process.Kill(entireProcessTree: true)</c> SIGSTOPs a process, scans /proc for its children and only then
    /// SIGKILLs it: killed in between, the server was left stopped (state T), re-parented to init, for good.
    /// The server's own stdin is /dev/null: it never reads the terminal (no SIGTTIN) nor the pipe. The watcher's
    /// output goes to /dev/null so it never holds the server's output pipes open. The wrapper exits with the server.
    /// </summary>
    private static ProcessStartInfo Supervised(string executable, IEnumerable<string> arguments)
    {
        const string watchdog = """
            exec 3<&0
            "$@" 0</dev/null &
            server=$!
            { while IFS= read -r _; do :; done; kill -KILL "$server"; } 0<&3 3<&- >/dev/null 2>&1 &
            watcher=$!
            exec 3<&-
            wait "$server"
            code=$?
            kill -KILL "$watcher" 2>/dev/null
            exit "$code"
            """;
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-c", watchdog, "planbot-test-server", executable, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static void Track(Process process)
    {
        lock (Started)
        {
            if (Started.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
            }

            Started.Add(process);
        }
    }

    /// <summary>
    /// `npm ci` from the lock file, once, unless <paramref name="needed"/> is installed: so `dotnet test`
    /// alone works on a fresh clone (or one installed before a server was added). Test assemblies run
    /// in parallel processes, so the install holds an exclusive lock file.
    /// </summary>
    private static void Install(string needed)
    {
        if (File.Exists(needed))
        {
            return;
        }

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
            if (File.Exists(needed))
            {
                return; // another test process installed it
            }

            var info = new ProcessStartInfo("npm") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            // a fresh clone gets `npm ci`; a checkout installed before a server was added gets the missing
            // packages added (`npm ci` would first delete node_modules under servers other test processes run)
            string[] install = Directory.Exists(Path.Combine(dir, "node_modules", ".bin")) ? ["install", "--no-save"] : ["ci"];
            foreach (var argument in (string[])[.. install, "--no-audit", "--no-fund", "--loglevel=error"])
            {
                info.ArgumentList.Add(argument);
            }

            using var npm = Process.Start(info) ?? throw new InvalidOperationException("cannot start npm: install Node.js 20 and npm");
            _ = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            if (!npm.WaitForExit(TimeSpan.FromMinutes(10)) || npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"`npm {install[0]}` in .ci/emulators failed: {errors.Result}");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Closes each server's watched stdin: its watcher SIGKILLs it (the kernel does the same if this never runs).</summary>
    private static void StopAll()
    {
        lock (Started)
        {
            foreach (var process in Started)
            {
                Stop(process);
            }
        }
    }

    internal static void Stop(Process process)
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // the wrapper is gone already: so is its server
        }
    }
}

/// <summary>An SQS emulator a test owns: disposing it stops it (as an outage would).</summary>
public sealed class SqsEmulator(string endpoint, Process process) : IDisposable
{
    public string Endpoint { get; } = endpoint;

    /// <summary>Stops the server as the end of the test process would (<see cref="TestServers"/>' watcher SIGKILLs it) and waits until it is gone.</summary>
    public void Dispose()
    {
        TestServers.Stop(process);
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            throw new InvalidOperationException($"the SQS emulator (pid {process.Id}) did not stop within a minute of its watched stdin closing");
        }
    }
}
