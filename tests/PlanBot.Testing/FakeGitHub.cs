using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PlanBot.Testing;

/// <summary>
/// A stateful fake of the GitHub REST API on a loopback port: pull requests, issue comments (with
/// pagination), reactions, statuses, check runs, permissions, team memberships, commit → pulls.
/// Every call is recorded (<see cref="Calls"/>) so tests assert exactly what PlanBot sent; faults
/// (502s, secondary rate limits) can be queued. Requests without a bearer token get 401.
/// </summary>
public sealed class FakeGitHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(Func<string, bool> Where, Action<HttpContext> Answer)> _faults = [];
    private long _ids = 1000;
    private readonly object _gate = new();

    public const string Token = "ghs_fake_token_0123456789";

    private FakeGitHub(WebApplication app)
    {
        _app = app;
    }

    public Uri Url { get; private set; } = null!;

    public List<string> Calls { get; } = [];

    /// <summary>Awaited with each request's "METHOD /path?query" once it is recorded, before it is answered: tests hold requests to see how many a client has in flight.</summary>
    public Func<string, Task>? BeforeAnswer { get; set; }

    public Dictionary<int, JsonObject> Pulls { get; } = [];
    public Dictionary<int, List<string>> PullFiles { get; } = [];
    public List<FakeComment> Comments { get; } = [];
    public List<(long CommentId, string Content)> Reactions { get; } = [];

    /// <summary>How far GitHub's clock (comment created_at/updated_at) is from the runner's: tests of clock skew between the two.</summary>
    public TimeSpan ClockSkew { get; set; }
    public List<(string Sha, string State, string Context, string Description)> Statuses { get; } = [];
    public List<JsonObject> CheckRuns { get; } = [];
    public Dictionary<string, (string Permission, string Role)> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<(string Team, string User)> TeamMembers { get; } = [];
    public Dictionary<string, List<int>> CommitPulls { get; } = new(StringComparer.Ordinal);
    public Dictionary<int, FakeIssue> Issues { get; } = [];

    public sealed record FakeIssue(int Number, string Title, string Body, string State, string[] Labels);

    public sealed record FakeComment(long Id, int Issue, string Body, string User, DateTimeOffset Created, DateTimeOffset Updated);

    public static async Task<FakeGitHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeGitHub(app);
        fake.Map(app);
        await app.StartAsync();
        fake.Url = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return fake;
    }

    /// <summary>
    /// The next comment created whose body matches is stored, then its request waits until the hold is
    /// released: the client is frozen at a known point of its run (between two terraform calls, say), for
    /// a test to kill it there.
    /// </summary>
    public CommentHold HoldNextComment(Func<string, bool> matches)
    {
        var hold = new CommentHold(matches);
        Volatile.Write(ref _hold, hold);
        return hold;
    }

    public sealed class CommentHold(Func<string, bool> matches)
    {
        public Func<string, bool> Matches => matches;

        /// <summary>Completed once a matching comment was stored and its request is waiting.</summary>
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private CommentHold? _hold;

    /// <summary>
    /// Like <see cref="HoldNextComment"/> for the next comment edit (PATCH) whose new body matches: stored, then its
    /// request waits until the hold is released, so a test knows the client is inside that write.
    /// </summary>
    public CommentHold HoldNextEdit(Func<string, bool> matches)
    {
        var hold = new CommentHold(matches);
        Volatile.Write(ref _editHold, hold);
        return hold;
    }

    private CommentHold? _editHold;

    /// <summary>
    /// The next <paramref name="count"/> requests get <paramref name="status"/> (with Retry-After seconds when given);
    /// with <paramref name="where"/>, only requests whose "METHOD /path?query" it matches (the others pass).
    /// </summary>
    public void FailNext(int count, int status, int? retryAfter = null, Func<string, bool>? where = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _faults.Add((where ?? (_ => true), context =>
                {
                    context.Response.StatusCode = status;
                    if (retryAfter is { } seconds)
                    {
                        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }
                }));
            }
        }
    }

    public JsonObject AddPull(int number, string head, string @base, string author = "alice", bool draft = false, string? forkRepo = null, string repo = "acme/infra") =>
        Pulls[number] = new JsonObject
        {
            ["number"] = number, ["state"] = "open", ["draft"] = draft, ["merged"] = false,
            ["user"] = new JsonObject { ["login"] = author, ["type"] = "User" },
            ["head"] = new JsonObject { ["sha"] = head, ["ref"] = $"pr-{number}", ["repo"] = new JsonObject { ["full_name"] = forkRepo ?? repo } },
            ["base"] = new JsonObject { ["sha"] = @base, ["ref"] = "main", ["repo"] = new JsonObject { ["full_name"] = repo, ["clone_url"] = $"https://github.com/{repo}.git" } },
        };

    public FakeComment AddComment(int issue, string body, string user, DateTimeOffset? created = null, DateTimeOffset? updated = null)
    {
        lock (_gate)
        {
            var at = created ?? DateTimeOffset.UtcNow + ClockSkew;
            var comment = new FakeComment(Interlocked.Increment(ref _ids), issue, body, user, at, updated ?? at);
            Comments.Add(comment);
            return comment;
        }
    }

    public IReadOnlyList<FakeComment> CommentsOn(int issue)
    {
        lock (_gate)
        {
            return [.. Comments.Where(c => c.Issue == issue)];
        }
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var call = $"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}";
            lock (_gate)
            {
                Calls.Add(call);
            }

            if (!context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { message = "Requires authentication" });
                return;
            }

            if (BeforeAnswer is { } before)
            {
                await before(call);
            }

            Action<HttpContext>? fault = null;
            lock (_gate)
            {
                if (_faults.FindIndex(f => f.Where(call)) is var at and >= 0)
                {
                    fault = _faults[at].Answer;
                    _faults.RemoveAt(at);
                }
            }

            if (fault is not null)
            {
                fault(context);
                await context.Response.WriteAsJsonAsync(new { message = "injected fault" });
                return;
            }

            await next(context);
        });

        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", (int number) => Pulls.TryGetValue(number, out var pull) ? Results.Json(Served(pull)) : Results.NotFound(new { message = "Not Found" }));
        app.MapGet("/repos/{owner}/{repo}/pulls", () => Results.Json(Pulls.Values.Where(p => (string?)p["state"] == "open").Select(Served).ToArray()));
        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/files", (int number) =>
            Results.Json(PullFiles.GetValueOrDefault(number, []).Select(f => new { filename = f, status = "modified" })));
        app.MapGet("/repos/{owner}/{repo}/issues/{number:int}/comments", (int number, int? per_page, int? page, HttpContext context) =>
        {
            var size = per_page ?? 30;
            var at = page ?? 1;
            var all = CommentsOn(number).OrderBy(c => c.Id).ToArray();
            if (at * size < all.Length)
            {
                context.Response.Headers.Link = $"<{Url}{context.Request.Path.ToString().TrimStart('/')}?per_page={size}&page={at + 1}>; rel=\"next\"";
            }

            return Results.Json(all.Skip((at - 1) * size).Take(size).Select(Json));
        });
        app.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", async (int number, HttpContext context) =>
        {
            var body = await Body(context);
            var comment = AddComment(number, (string)body["body"]!, "planbot[bot]");
            if (Volatile.Read(ref _hold) is { } hold && hold.Matches(comment.Body) && Interlocked.CompareExchange(ref _hold, null, hold) == hold)
            {
                hold.Reached.TrySetResult();
                await hold.Released.Task.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default); // the client may be killed meanwhile
            }

            return Results.Json(Json(comment), statusCode: 201);
        });
        app.MapMethods("/repos/{owner}/{repo}/issues/comments/{id:long}", ["PATCH"], async (long id, HttpContext context) =>
        {
            var body = await Body(context);
            FakeComment edited;
            lock (_gate)
            {
                var index = Comments.FindIndex(c => c.Id == id);
                if (index < 0)
                {
                    return Results.NotFound(new { message = "Not Found" });
                }

                Comments[index] = Comments[index] with { Body = (string)body["body"]!, Updated = DateTimeOffset.UtcNow + ClockSkew };
                edited = Comments[index];
            }

            if (Volatile.Read(ref _editHold) is { } hold && hold.Matches(edited.Body) && Interlocked.CompareExchange(ref _editHold, null, hold) == hold)
            {
                hold.Reached.TrySetResult();
                await hold.Released.Task.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return Results.Json(Json(edited));
        });
        app.MapDelete("/repos/{owner}/{repo}/issues/comments/{id:long}", (long id) =>
        {
            lock (_gate)
            {
                return Comments.RemoveAll(c => c.Id == id) > 0 ? Results.NoContent() : Results.NotFound(new { message = "Not Found" });
            }
        });
        app.MapPost("/repos/{owner}/{repo}/issues/comments/{id:long}/reactions", async (long id, HttpContext context) =>
        {
            var body = await Body(context);
            lock (_gate)
            {
                Reactions.Add((id, (string)body["content"]!));
            }

            return Results.Json(new { id = 1, content = (string)body["content"]! }, statusCode: 201);
        });
        app.MapPost("/repos/{owner}/{repo}/statuses/{sha}", async (string sha, HttpContext context) =>
        {
            var body = await Body(context);
            lock (_gate)
            {
                Statuses.Add((sha, (string)body["state"]!, (string)body["context"]!, (string?)body["description"] ?? ""));
            }

            return Results.Json(new { id = 1, state = (string)body["state"]! }, statusCode: 201);
        });
        app.MapPost("/repos/{owner}/{repo}/check-runs", async (HttpContext context) =>
        {
            var body = await Body(context);
            lock (_gate)
            {
                CheckRuns.Add(body);
            }

            return Results.Json(new { id = CheckRuns.Count }, statusCode: 201);
        });
        app.MapGet("/repos/{owner}/{repo}/collaborators/{user}/permission", (string user) =>
            Permissions.TryGetValue(user, out var p) ? Results.Json(new { permission = p.Permission, role_name = p.Role, user = new { login = user } }) : Results.Json(new { permission = "none", role_name = "none" }));
        app.MapGet("/orgs/{org}/teams/{team}/memberships/{user}", (string team, string user) =>
            TeamMembers.Contains((team, user)) ? Results.Json(new { state = "active", role = "member" }) : Results.NotFound(new { message = "Not Found" }));
        app.MapGet("/repos/{owner}/{repo}/issues", (string? labels, string? state) =>
        {
            lock (_gate)
            {
                return Results.Json(Issues.Values.Where(i => (state ?? "open") == "all" || i.State == (state ?? "open"))
                    .Where(i => labels is null || labels.Split(',').All(i.Labels.Contains)).Select(IssueJson).ToArray());
            }
        });
        app.MapPost("/repos/{owner}/{repo}/issues", async (HttpContext context) =>
        {
            var body = await Body(context);
            lock (_gate)
            {
                var number = 900 + Issues.Count;
                Issues[number] = new FakeIssue(number, (string)body["title"]!, (string?)body["body"] ?? "", "open", [.. body["labels"]!.AsArray().Select(l => (string)l!)]);
                return Results.Json(IssueJson(Issues[number]), statusCode: 201);
            }
        });
        app.MapMethods("/repos/{owner}/{repo}/issues/{number:int}", ["PATCH"], async (int number, HttpContext context) =>
        {
            var body = await Body(context);
            lock (_gate)
            {
                var issue = Issues[number];
                Issues[number] = issue with { Body = (string?)body["body"] ?? issue.Body, State = (string?)body["state"] ?? issue.State };
                return Results.Json(IssueJson(Issues[number]));
            }
        });
        app.MapGet("/repos/{owner}/{repo}/commits/{sha}/pulls", (string sha) =>
            Results.Json(CommitPulls.GetValueOrDefault(sha, []).Select(n => Served(Pulls[n])).ToArray()));
    }

    /// <summary>A pull as GitHub serves it: a merged one has merged_at (Octokit reads merged from it, as the commit-pulls list has no merged field).</summary>
    private static JsonObject Served(JsonObject pull)
    {
        var served = pull.DeepClone().AsObject();
        if ((bool?)served["merged"] == true && served["merged_at"] is null)
        {
            served["merged_at"] = "2026-01-01T00:00:00Z";
        }

        return served;
    }

    private static object IssueJson(FakeIssue i) => new { number = i.Number, title = i.Title, body = i.Body, state = i.State, labels = i.Labels.Select(l => new { name = l }) };

    private static object Json(FakeComment c) => new { id = c.Id, body = c.Body, user = new { login = c.User, type = c.User.EndsWith("[bot]", StringComparison.Ordinal) ? "Bot" : "User" }, created_at = c.Created, updated_at = c.Updated };

    private static async Task<JsonObject> Body(HttpContext context) =>
        (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
