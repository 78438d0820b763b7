using System.Net;
using System.Net.Sockets;
using PlanBot.Testing;
using static PlanBot.Testing.TerraformFiles;

namespace PlanBot.Cli.Tests;

/// <summary>
/// Issue 14 as a user meets it: user, input and environment errors are exit 2 with one line naming
/// what and the fix, and nothing is silently wrong.
/// </summary>
public class HostileInputCliTests
{
    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(args);

    private static void OneLine(string errors, string contains)
    {
        errors.Trim().Split('\n').ShouldHaveSingleItem(errors).ShouldContain(contains);
        errors.ShouldNotContain("a bug in PlanBot");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("null")]
    public async Task Render_of_a_document_that_is_not_a_plan_exits_2(string json)
    {
        using var dir = new TempDir();
        var file = dir.Combine("plan.json");
        await File.WriteAllTextAsync(file, json);
        var (code, _, errors) = await Run("render", "--plan-json", file);
        code.ShouldBe(2, errors);
        OneLine(errors, "plan.json");
    }

    /// <summary>
    /// GitHub caps an event payload at 25 MB: a larger GITHUB_EVENT_PATH is refused by its size, naming the variable,
    /// the size and the limit, before it is read (a sparse file: its length alone says so); a file with no length
    /// (a device that never ends) is refused once what was read passes the cap, never read whole.
    /// </summary>
    [Fact]
    public async Task An_event_file_over_githubs_25_mb_is_refused_naming_the_variable_its_size_and_the_limit()
    {
        using var dir = new TempDir();
        var eventPath = dir.Combine("event.json");
        await using (var file = File.Create(eventPath))
        {
            file.SetLength(25 * 1024 * 1024 + 1); // sparse: nothing is written
        }

        async Task<(int Code, string Errors)> RunWith(string path)
        {
            var settings = Hosting.PlanBotSettings.From(name => name switch
            {
                "GITHUB_EVENT_NAME" => "pull_request", "GITHUB_EVENT_PATH" => path, "GITHUB_REPOSITORY" => "acme/infra", "GITHUB_TOKEN" => "t",
                "GITHUB_WORKSPACE" => dir.Path, "PLANBOT_DATA_DIR" => dir.Combine("data"), _ => null,
            });
            var stderr = new StringWriter();
            var code = await CliApp.RunAsync(["run"], new StringWriter(), stderr, settings).WaitAsync(TimeSpan.FromMinutes(2)); // a read of the whole device never ends
            return (code, stderr.ToString());
        }

        var (code, errors) = await RunWith(eventPath);
        code.ShouldBe(2, errors);
        OneLine(errors, $"GITHUB_EVENT_PATH {eventPath} is 26,214,401 bytes, over the 26,214,400 bytes (25 MB) GitHub caps an event payload at");

        (code, errors) = await RunWith("/dev/zero");
        code.ShouldBe(2, errors);
        OneLine(errors, "GITHUB_EVENT_PATH /dev/zero is more than 26,214,400 bytes, over the 26,214,400 bytes (25 MB)");

        // at the cap it is read and parsed: the refusal is the size, not the content
        await using (var file = File.OpenWrite(eventPath))
        {
            file.SetLength(25 * 1024 * 1024);
        }

        (code, errors) = await RunWith(eventPath);
        code.ShouldBe(2, errors);
        OneLine(errors, "cannot read the pull_request event");
    }

    /// <summary>A plan piped in (`--plan-json <(terraform show -json p)`) cannot be mapped: it is read from the pipe, once.</summary>
    [Fact]
    public async Task Render_of_a_plan_piped_through_a_fifo_writes_the_same_comment_as_the_file()
    {
        using var dir = new TempDir();
        var plan = Fixtures.Path("plans", "jond3k-tfplan-validator", "delete-create.json");
        var fifo = dir.Combine("plan.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            mkfifo.ExitCode.ShouldBe(0);
        }

        // the writer blocks until render opens the fifo for reading, then writes the plan and closes it
        var writer = Task.Run(async () => await File.WriteAllBytesAsync(fifo, await File.ReadAllBytesAsync(plan)));
        var (code, piped, errors) = await Run("render", "--plan-json", fifo, "--project", "files");
        await writer.WaitAsync(TimeSpan.FromMinutes(1));
        code.ShouldBe(0, errors);
        var (_, fromFile, _) = await Run("render", "--plan-json", plan, "--project", "files");
        piped.ShouldBe(fromFile.Replace(plan, fifo, StringComparison.Ordinal));
        piped.ShouldContain("files"); // the project named: a comment, not an empty output
    }

    /// <summary>`planbot render` maps its one plan (MappedPlanFile); what cannot be mapped is read, and worded, as before.</summary>
    [Theory]
    [InlineData("missing", "cannot read the plan file")]
    [InlineData("directory", "cannot read the plan file")]
    [InlineData("empty", "plan.json:1: not a valid terraform plan JSON document")]
    [InlineData("truncated", "plan.json")]
    public async Task Render_of_a_plan_file_that_cannot_be_mapped_or_read_exits_2(string kind, string says)
    {
        using var dir = new TempDir();
        var file = kind == "directory" ? dir.Path : dir.Combine("plan.json");
        if (kind == "empty")
        {
            await File.WriteAllBytesAsync(file, []);
        }
        else if (kind == "truncated")
        {
            await File.WriteAllTextAsync(file, """{"format_version": "1.2", "resource_changes": [""");
        }

        var (code, output, errors) = await Run("render", "--plan-json", file);
        code.ShouldBe(2, errors);
        OneLine(errors, says);
        output.ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unwritable_output_exits_2_before_terraform_runs()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a/main.tf"] = LocalBackend + Resource("x", "y") });
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);
        var blocker = Path.Combine(scenario.DataDir, "a-file");
        await File.WriteAllTextAsync(blocker, "");
        var (code, output, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "HEAD", "--json-out", Path.Combine(blocker, "report.json"));
        code.ShouldBe(2, errors);
        OneLine(errors, "--json-out");
        errors.ShouldNotContain("terraform init"); // refused before any work
        output.ShouldBeEmpty();
        Directory.Exists(Path.Combine(scenario.DataDir, "runs")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_comment_out_that_is_a_directory_exits_2()
    {
        using var dir = new TempDir();
        var file = dir.Combine("plan.json");
        await File.WriteAllTextAsync(file, """{"format_version":"1.2"}""");
        var (code, _, errors) = await Run("render", "--plan-json", file, "--comment-out", dir.Path);
        code.ShouldBe(2, errors);
        OneLine(errors, "--comment-out");
        errors.ShouldContain("is a directory");
    }

    [Fact]
    public async Task A_data_dir_that_is_a_file_exits_2()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a/main.tf"] = LocalBackend + Resource("x", "y") });
        var file = Path.Combine(scenario.DataDir, "not-a-dir");
        await File.WriteAllTextAsync(file, "");
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", file);
        try
        {
            var (code, _, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "HEAD");
            code.ShouldBe(2, errors);
            OneLine(errors, "PLANBOT_DATA_DIR");
            errors.ShouldContain("is a file");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);
        }
    }

    [Fact]
    public async Task Serve_with_bad_urls_exits_2_without_claiming_to_listen()
    {
        Environment.SetEnvironmentVariable("PLANBOT_WEBHOOK_SECRET", "s");
        var (code, _, errors) = await Run("serve", "--urls", "not a url");
        code.ShouldBe(2, errors);
        OneLine(errors, "--urls");
        errors.ShouldNotContain("listening on");
    }

    [Fact]
    public async Task Serve_on_a_busy_port_exits_2_without_claiming_to_listen()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        using var data = new TempDir();
        Environment.SetEnvironmentVariable("PLANBOT_WEBHOOK_SECRET", "s");
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", data.Path);
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", "t");
        try
        {
            var (code, _, errors) = await Run("serve", "--urls", $"http://127.0.0.1:{port}");
            code.ShouldBe(2, errors);
            errors.ShouldContain("cannot listen");
            errors.ShouldNotContain("listening on");
            errors.ShouldNotContain("   at ");
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITHUB_TOKEN", null);
        }
    }

    [Fact]
    public async Task A_damaged_locks_db_exits_2_naming_it()
    {
        using var data = new TempDir();
        Directory.CreateDirectory(data.Combine("state"));
        await File.WriteAllTextAsync(data.Combine("state/locks.db"), new string('x', 4096));
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", data.Path);
        var (code, _, errors) = await Run("locks", "list");
        code.ShouldBe(2, errors);
        OneLine(errors, "is damaged");
    }

    [Fact]
    public async Task Serve_with_a_damaged_queue_db_exits_2_naming_the_file_and_the_recovery_which_works()
    {
        using var data = new TempDir();
        Directory.CreateDirectory(data.Combine("state"));
        var queue = data.Combine("state/queue.db");
        await File.WriteAllTextAsync(queue, new string('x', 4096));
        Environment.SetEnvironmentVariable("PLANBOT_WEBHOOK_SECRET", "s");
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", data.Path);
        var (code, _, errors) = await Run("serve", "--urls", "http://127.0.0.1:0");
        code.ShouldBe(2, errors);
        OneLine(errors, $"{queue} is damaged");
        errors.ShouldContain($"mv {queue} {queue}.damaged");
        errors.ShouldNotContain("listening on");
        errors.ShouldNotContain("   at ");

        // the documented recovery: moved aside, a fresh queue opens
        File.Move(queue, queue + ".damaged");
        using var fresh = new PlanBot.Server.DeliveryQueue(queue);
        fresh.List().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_state_lock_terraform_cannot_write_is_told_as_an_io_error_with_terraforms_message_not_as_a_held_lock()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a/main.tf"] = LocalBackend + Resource("x", "y") });
        await scenario.Repo.GitAsync("checkout", "-q", "-b", "change");
        scenario.Repo.Write("a/main.tf", LocalBackend + Resource("x", "z"));
        await scenario.Repo.CommitAsync();
        // real terraform, a lock it cannot write: the local backend's lock info path is a directory
        Directory.CreateDirectory(Path.Combine(scenario.Repo.Root, "a", ".terraform.tfstate.lock.info"));
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);

        var (code, output, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "main");
        code.ShouldBe(1, errors);
        output.ShouldContain("terraform could not take the state lock (an error reaching the lock, not a lock someone holds): could not write lock info for \"terraform.tfstate\": open .terraform.tfstate.lock.info: is a directory; fix the backend's storage or access and re-plan");
        output.ShouldNotContain("held by");
        output.ShouldNotContain("since ?");
        output.ShouldNotContain("force-unlock");
    }

    [Fact]
    public async Task A_configured_project_whose_dir_has_no_terraform_fails_the_run_with_the_fix()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["staging/main.tf"] = LocalBackend + Resource("x", "y"),
            ["planbot.yaml"] = "version: 1\nprojects:\n  - dir: stagin\n",
        });
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);
        var (code, output, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "HEAD");
        code.ShouldBe(1, errors);
        output.ShouldContain("stagin holds no Terraform files");
        output.ShouldContain("planbot.yaml:3: project dir 'stagin' holds no .tf or .tf.json files");
        output.ShouldContain("did you mean 'staging'?");
    }

    [Fact]
    public async Task Projects_says_so_when_there_are_none_and_warns_about_a_module_cycle()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string>
        {
            ["a/main.tf"] = "module \"b\" {\n  source = \"../b\"\n}\n",
            ["b/main.tf"] = "module \"a\" {\n  source = \"../a\"\n}\n",
        });
        var (code, output, errors) = await Run("projects", "--repo", scenario.Repo.Root);
        code.ShouldBe(0, errors);
        output.ShouldStartWith("no projects found");
        errors.ShouldContain("a/main.tf:1: a calls b as a module and b calls a back");
    }

    [Fact]
    public async Task A_pipe_in_a_dir_name_does_not_break_the_comment_table()
    {
        using var scenario = await Scenario.CreateAsync(new Dictionary<string, string> { ["a|b/main.tf"] = LocalBackend + Resource("x", "y") });
        await scenario.Repo.GitAsync("checkout", "-q", "-b", "change");
        scenario.Repo.Write("a|b/main.tf", LocalBackend + Resource("x", "z"));
        await scenario.Repo.CommitAsync();
        Environment.SetEnvironmentVariable("PLANBOT_DATA_DIR", scenario.DataDir);
        var (code, output, errors) = await Run("plan", "--repo", scenario.Repo.Root, "--base", "main");
        code.ShouldBe(0, errors);
        output.ShouldContain("| `a\\|b` | `a\\|b` | default | 📝 planned | 1 | 0 | 0 | 0 |");
    }
}
