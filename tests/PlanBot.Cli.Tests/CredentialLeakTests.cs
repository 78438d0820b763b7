using System.Text;
using System.Text.Json.Nodes;
using PlanBot.Cli;
using PlanBot.Hosting;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// A hostile pull request reads terraform's environment (<c>file("/proc/self/environ")</c>, a committed
/// symlink <c>x.tf -> /proc/self/environ</c>, a symlink read through <c>file()</c>) and prints a
/// sensitive value with a quote, a backslash and a TAB inside a JSON string. With distinctive
/// credentials in PlanBot's environment, `planbot run` (real git and terraform, the fake GitHub) writes
/// none of them, in any encoding, to a comment, status, check run, job summary, GITHUB_OUTPUT, the JSON
/// report or stderr; and terraform never saw them (its plan JSON holds the environ it read). The
/// credentials sit in the environment PlanBot is handed (<see cref="PlanBotSettings.From(IReadOnlyDictionary{string, string})"/>,
/// what FromEnvironment snapshots), never in this process's own, so the test runs beside others.
/// </summary>
public sealed class CredentialLeakTests : IAsyncLifetime
{
    private const string Token = "ghs_LEAKCANARY_token_5b7e2f";
    private const string WebhookOld = "whsec-LEAKCANARY-old-91c3";
    private const string WebhookNew = "whsec-LEAKCANARY-new-4d20";
    private const string AppKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowLEAKCANARYappkeyBODYline0123456789abcdef\n-----END RSA PRIVATE KEY-----";
    private const string RuntimeToken = "rt-LEAKCANARY-actions-runtime-77";
    private const string IdToken = "idt-LEAKCANARY-oidc-request-88";
    private const string InputToken = "ghs_LEAKCANARY_input_token_99";

    /// <summary>The sensitive variable's value: a quote, a backslash, a TAB, then a plain-ASCII tail found in every encoding.</summary>
    private const string SensitiveTail = "SENSITIVE-LEAKCANARY-42";

    private static readonly string PlanKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("PLANKEY-LEAKCANARY-0123456789abc"));

    private FakeGitHub _github = null!;
    private Scenario _scenario = null!;
    private readonly TempDir _dir = new("planbot-leak");
    private readonly Dictionary<string, string> _environment = Inherited();

    public async Task InitializeAsync()
    {
        _github = await FakeGitHub.StartAsync();
        _scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["environ/main.tf"] = LocalBackend + Resource("placeholder", "v1"),
            ["linked/main.tf"] = LocalBackend + Resource("placeholder", "v1"),
            ["viafile/main.tf"] = LocalBackend + Resource("placeholder", "v1"),
            ["secret/main.tf"] = LocalBackend + Resource("placeholder", "v1"),
            ["planbot.yaml"] = "locks: { backend: local }\n",
        });
    }

    public async Task DisposeAsync()
    {
        await _github.DisposeAsync();
        _scenario.Dispose();
        _dir.Dispose();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // /proc/self/environ, file modes
    public async Task Nothing_planbot_writes_holds_its_credentials_or_a_sensitive_value_in_any_encoding()
    {
        var repo = _scenario.Repo;
        await repo.GitAsync("checkout", "-q", "-B", "pr-1");
        repo.Write("environ/main.tf", LocalBackend + """
            resource "terraform_data" "env" {
              input = file("/proc/self/environ")
            }
            """);
        repo.Write("linked/main.tf", LocalBackend + Resource("placeholder", "v2"));
        File.CreateSymbolicLink(Path.Combine(repo.Root, "linked", "environ.tf"), "/proc/self/environ");
        repo.Write("viafile/main.tf", LocalBackend + """
            resource "terraform_data" "env" {
              input = file("${path.module}/environ.txt")
            }
            """);
        File.CreateSymbolicLink(Path.Combine(repo.Root, "viafile", "environ.txt"), "/proc/self/environ");
        repo.Write("secret/main.tf", LocalBackend + """
            variable "password" {
              type      = string
              sensitive = true
              default   = "Qu\"ote\\Back\tTab-SENSITIVE-LEAKCANARY-42"
            }
            resource "terraform_data" "marked" {
              input = var.password
            }
            resource "terraform_data" "policy" {
              input = nonsensitive(jsonencode({ password = var.password }))
            }
            output "policy" {
              value = nonsensitive(jsonencode({ password = var.password }))
            }
            """);
        var head = await repo.CommitAsync("a hostile pull request");
        var baseSha = (await repo.GitAsync("rev-parse", "main")).Trim();
        _github.AddPull(1, head, baseSha);
        _github.PullFiles[1] = ["environ/main.tf", "linked/main.tf", "linked/environ.tf", "viafile/main.tf", "viafile/environ.txt", "secret/main.tf"];

        var (code, stdout, stderr, data) = await RunAsync("pull_request", new JsonObject
        {
            ["action"] = "opened",
            ["number"] = 1,
            ["pull_request"] = JsonNode.Parse(_github.Pulls[1].ToJsonString()),
            ["repository"] = new JsonObject { ["full_name"] = "acme/infra", ["default_branch"] = "main" },
        });

        // it ran: the environ project planned and showed what terraform read, the symlinked .tf was refused by PlanBot's reader
        var comments = string.Join("\n", _github.Comments.Select(c => c.Body));
        comments.ShouldContain("terraform_data.env", customMessage: stderr);
        comments.ShouldContain("PATH=", customMessage: "the environ terraform read is in the comment (so the test would see a leak)");
        comments.ShouldContain("outside the repository: not followed");
        comments.ShouldContain("(sensitive)");

        var outputs = new Dictionary<string, string>
        {
            ["comments"] = comments,
            ["statuses"] = string.Join("\n", _github.Statuses.Select(s => s.Description)),
            ["check runs"] = string.Join("\n", _github.CheckRuns.Select(c => c.ToJsonString())),
            ["job summary"] = await ReadOrEmptyAsync(_dir.Combine("summary.md")),
            ["GITHUB_OUTPUT"] = await ReadOrEmptyAsync(_dir.Combine("output")),
            ["JSON report"] = await ReadOrEmptyAsync(Path.Combine(data, "report.json")),
            ["stdout"] = stdout,
            ["stderr"] = stderr,
        };
        outputs["JSON report"].ShouldNotBeEmpty();
        outputs["job summary"].ShouldNotBeEmpty();
        _github.CheckRuns.Count.ShouldBeGreaterThan(0);
        string[] canaries = [Token, WebhookOld, WebhookNew, PlanKey, "MIIEowLEAKCANARYappkeyBODYline0123456789abcdef", RuntimeToken, IdToken, InputToken, SensitiveTail];
        foreach (var (name, text) in outputs)
        {
            text.ShouldNotContain("LEAKCANARY", Case.Sensitive, $"{name} leaks: {Around(text, "LEAKCANARY")}");
            text.ShouldNotContain(PlanKey, Case.Sensitive, name);
        }

        // terraform itself never had them: the environ it read (kept in its plan JSON) lacks every one
        var planJsons = Directory.EnumerateFiles(data, "plan.json", SearchOption.AllDirectories).ToArray();
        planJsons.ShouldNotBeEmpty();
        var environRead = string.Concat(planJsons.Select(File.ReadAllText));
        environRead.ShouldContain("PATH=");
        foreach (var canary in canaries.Where(c => c != SensitiveTail))
        {
            environRead.ShouldNotContain(canary, Case.Sensitive, "terraform inherited a credential of PlanBot's");
        }

        environRead.ShouldNotContain("PLANBOT_");
        environRead.ShouldNotContain("ACTIONS_ID_TOKEN_REQUEST");

        // what PlanBot keeps (plan files, plan JSON, terraform logs) is readable by its owner only
        var kept = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is "plan.json" or "terraform.log" || f.EndsWith(".tfplan", StringComparison.Ordinal)).ToArray();
        kept.Length.ShouldBeGreaterThan(3);
        foreach (var file in kept)
        {
            File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite, file);
        }

        code.ShouldBeOneOf(0, 1);
    }

    [Fact]
    public async Task A_command_in_an_indented_code_block_a_quote_or_an_html_comment_does_not_run()
    {
        var head = (await _scenario.Repo.GitAsync("rev-parse", "HEAD")).Trim();
        _github.AddPull(2, head, head);
        foreach (var body in (string[])["    /planbot unlock", "\t/planbot plan", "> /planbot plan", "<!-- /planbot plan -->", "```\n/planbot plan\n```"])
        {
            _github.Calls.Clear();
            var comment = _github.AddComment(2, body, "mallory");
            var (code, _, stderr, _) = await RunAsync("issue_comment", new JsonObject
            {
                ["action"] = "created",
                ["issue"] = new JsonObject { ["number"] = 2, ["pull_request"] = new JsonObject { ["url"] = "x" } },
                ["comment"] = new JsonObject { ["id"] = comment.Id, ["body"] = body, ["user"] = new JsonObject { ["login"] = "mallory", ["type"] = "User" }, ["created_at"] = comment.Created, ["updated_at"] = comment.Updated },
                ["repository"] = new JsonObject { ["full_name"] = "acme/infra" },
            });
            code.ShouldBe(0, stderr);
            stderr.ShouldContain("not a /planbot command");
            _github.Calls.ShouldBeEmpty(body); // no reaction, no reply, no plan
        }

        _github.CommentsOn(2).Select(c => c.User).ShouldAllBe(u => u == "mallory");
    }

    private async Task<(int Code, string Stdout, string Stderr, string DataDir)> RunAsync(string eventName, JsonObject payload)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var eventPath = _dir.Combine($"event-{run}.json");
        await File.WriteAllTextAsync(eventPath, payload.ToJsonString());
        var data = _dir.Combine($"data-{run}");
        Set("GITHUB_EVENT_NAME", eventName);
        Set("GITHUB_EVENT_PATH", eventPath);
        Set("GITHUB_REPOSITORY", "acme/infra");
        Set("GITHUB_TOKEN", Token);
        Set("GH_TOKEN", Token);
        Set("INPUT_TOKEN", InputToken);
        Set("PLANBOT_WEBHOOK_SECRET", $"{WebhookOld},{WebhookNew}");
        Set("PLANBOT_PLAN_KEY", PlanKey);
        Set("PLANBOT_GITHUB_APP_PRIVATE_KEY", AppKey); // no PLANBOT_GITHUB_APP_ID: the token is used, the key only sits in the environment
        Set("ACTIONS_RUNTIME_TOKEN", RuntimeToken);
        Set("ACTIONS_ID_TOKEN_REQUEST_URL", "https://token.actions.example/LEAKCANARY-url");
        Set("ACTIONS_ID_TOKEN_REQUEST_TOKEN", IdToken);
        Set("GITHUB_API_URL", _github.Url.ToString());
        Set("GITHUB_WORKSPACE", _scenario.Repo.Root);
        Set("GITHUB_RUN_ID", run);
        Set("PLANBOT_DATA_DIR", data);
        Set("GITHUB_OUTPUT", _dir.Combine("output"));
        Set("GITHUB_STEP_SUMMARY", _dir.Combine("summary.md"));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["run"], stdout, stderr, PlanBotSettings.From(_environment));
        return (code, stdout.ToString(), stderr.ToString(), data);
    }

    private void Set(string name, string value) => _environment[name] = value;

    /// <summary>This process's environment (PATH, HOME: what git and terraform need) as a runner's would be, to add the credentials to.</summary>
    private static Dictionary<string, string> Inherited() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!, StringComparer.Ordinal);

    private static async Task<string> ReadOrEmptyAsync(string path) => File.Exists(path) ? await File.ReadAllTextAsync(path) : "";

    private static string Around(string text, string what)
    {
        var at = text.IndexOf(what, StringComparison.Ordinal);
        return at < 0 ? "" : text[Math.Max(0, at - 80)..Math.Min(text.Length, at + 80)];
    }
}
