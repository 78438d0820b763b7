using PlanBot.Core.Config;
using PlanBot.Core.Discovery;
using PlanBot.Core.Plans;
using PlanBot.Core.Policy;
using PlanBot.Core.Rendering;
using PlanBot.Core.Runs;
using PlanBot.Core.Workflows;

namespace PlanBot.Render;

/// <summary>
/// `planbot-render --plan-json FILE [--project NAME]`: the PR comment `planbot render` writes for one
/// plan with the default settings, from a NativeAOT binary that starts in milliseconds (issue 19).
/// Everything else (--repo's planbot.yaml, --json-out, --summary-out, the job summary, masking the
/// runner's secrets) is `planbot render`'s: this binary reads no environment and no configuration.
/// </summary>
public static class RenderApp
{
    private const string Usage = "usage: planbot-render --plan-json FILE [--project NAME]   (the comment `planbot render` writes with default settings; use `planbot render` for --repo and the output files)";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        string? planJson = null;
        var project = "project";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--plan-json" when i + 1 < args.Length:
                    planJson = args[++i];
                    break;
                case "--project" when i + 1 < args.Length && args[i + 1].Length > 0:
                    project = args[++i];
                    break;
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
                    return 0;
                default:
                    await stderr.WriteLineAsync($"planbot-render: unknown or incomplete argument '{args[i]}'\n{Usage}").ConfigureAwait(false);
                    return 2;
            }
        }

        if (planJson is null)
        {
            await stderr.WriteLineAsync($"planbot-render: --plan-json is required\n{Usage}").ConfigureAwait(false);
            return 2;
        }

        try
        {
            var masks = PlanDetails.CompileMasks(PlanBotConfig.Default.Comments.Mask);
            var plan = await MappedPlanFile.ReadDetailedOnceAsync(planJson, masks).ConfigureAwait(false);
            await stdout.WriteAsync(Render(plan, project)).ConfigureAwait(false);
            await stdout.FlushAsync().ConfigureAwait(false);
            return 0;
        }
        catch (PlanFormatException e)
        {
            await stderr.WriteLineAsync($"planbot-render: {e.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    /// <summary>What `planbot render --plan-json FILE --project NAME` prints (RenderCommand, default settings, outside Actions).</summary>
    public static string Render(PlanSummary plan, string name)
    {
        var config = PlanBotConfig.Default;
        var report = SinglePlanReport.Of(plan, name, config);
        return string.Join("\n", MarkdownComment.Render(report, CommentOptions.ForComment(config.Comments, null)));
    }
}
