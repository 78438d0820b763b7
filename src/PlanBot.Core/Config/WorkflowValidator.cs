using System.Text.RegularExpressions;
using PlanBot.Core.Common;

namespace PlanBot.Core.Config;

/// <summary>
/// Checks <c>workflows</c>: a plan list holds <c>init</c> before one <c>plan</c>, an apply list holds
/// one <c>apply</c>, a <c>run</c> step is a non-empty argv with a valid env and timeout. Everything
/// ends up as argv (never a shell), so no quoting rules apply.
/// </summary>
public static partial class WorkflowValidator
{
    public static Dictionary<string, WorkflowDefinition> Validate(IReadOnlyList<RawWorkflow> raw, Action<int, int, string> fail)
    {
        var workflows = new Dictionary<string, WorkflowDefinition>(StringComparer.Ordinal);
        foreach (var workflow in raw)
        {
            var name = workflow.Name;
            if (!WorkflowName().IsMatch(name.Value))
            {
                fail(name.Line, name.Column, $"workflow name '{name.Value}' may hold only letters, digits, '-' and '_'");
                continue;
            }

            var where = $"workflows.{name.Value}";
            var plan = workflow.Plan is { } p ? Steps(p, $"{where}.plan", [StepKind.Init, StepKind.Plan], name, fail) : WorkflowDefinition.DefaultPlan;
            var apply = workflow.Apply is { } a ? Steps(a, $"{where}.apply", [StepKind.Apply], name, fail) : WorkflowDefinition.DefaultApply;
            workflows[name.Value] = new WorkflowDefinition { Name = name.Value, Plan = plan, Apply = apply, Line = name.Line };
        }

        return workflows;
    }

    /// <summary>Checks a project's <c>workflow</c> names a defined workflow.</summary>
    public static void CheckReference(Located<string>? reference, IReadOnlyDictionary<string, WorkflowDefinition> workflows, Action<int, int, string> fail)
    {
        if (reference is { } name && !workflows.ContainsKey(name.Value))
        {
            fail(name.Line, name.Column, workflows.Count == 0
                ? $"workflow '{name.Value}' is not defined: add it under 'workflows' (e.g. workflows: {{ {name.Value}: {{ plan: [init, plan] }} }}) or remove the project's 'workflow'"
                : $"workflow '{name.Value}' is not defined under 'workflows'; defined: {string.Join(", ", workflows.Keys.Order(StringComparer.Ordinal))}");
        }
    }

    /// <param name="required">The terraform steps the list must hold, once each and in this order; no other terraform step is allowed.</param>
    private static List<WorkflowStep> Steps(IReadOnlyList<RawStep> raw, string where, StepKind[] required, Located<string> workflow, Action<int, int, string> fail)
    {
        var steps = new List<WorkflowStep>();
        for (var i = 0; i < raw.Count; i++)
        {
            var step = raw[i];
            var at = $"{where}[{i}]";
            switch (step.Kind?.Value)
            {
                case null:
                    fail(step.Line, step.Column, $"'{at}' needs 'run': a list like [tflint, --recursive]; or write init, plan or apply");
                    break;
                case "run":
                    if (Run(step, at, fail) is { } run)
                    {
                        steps.Add(new WorkflowStep(StepKind.Run, run, step.Line));
                    }

                    break;
                case not ("init" or "plan" or "apply"):
                    break; // the reader reported the unknown step already
                default:
                    var kind = Enum.Parse<StepKind>(step.Kind.Value.Value, ignoreCase: true);
                    if (!required.Contains(kind))
                    {
                        fail(step.Line, step.Column, $"'{at}' is {step.Kind.Value.Value}, which has no place in {where.Split('.')[^1]}: {where.Split('.')[^1]} steps are {string.Join(", ", required.Select(r => r.ToString().ToLowerInvariant()))} and run steps");
                    }
                    else if (steps.Any(s => s.Kind == kind))
                    {
                        fail(step.Line, step.Column, $"'{at}' repeats {step.Kind.Value.Value}: a workflow runs it once");
                    }
                    else
                    {
                        steps.Add(new WorkflowStep(kind, null, step.Line));
                    }

                    break;
            }
        }

        var order = steps.Where(s => s.Kind != StepKind.Run).Select(s => s.Kind).ToArray();
        var missing = required.Where(r => !order.Contains(r)).ToArray();
        if (missing.Length > 0)
        {
            fail(workflow.Line, workflow.Column, $"'{where}' has no {string.Join(" and no ", missing.Select(m => m.ToString().ToLowerInvariant()))} step: add {string.Join(", ", required.Select(r => r.ToString().ToLowerInvariant()))} (in that order) around its run steps");
        }
        else if (!order.SequenceEqual(required))
        {
            fail(workflow.Line, workflow.Column, $"'{where}' runs {string.Join(" before ", order.Select(o => o.ToString().ToLowerInvariant()))}: write {string.Join(" before ", required.Select(r => r.ToString().ToLowerInvariant()))}");
        }

        return steps;
    }

    private static RunStep? Run(RawStep step, string at, Action<int, int, string> fail)
    {
        var ok = true;
        if (step.Argv.Count == 0)
        {
            fail(step.Line, step.Column, $"'{at}.run' is empty: give the command and its arguments as a list, like [tflint, --recursive]");
            ok = false;
        }

        foreach (var arg in step.Argv)
        {
            if (arg.Value.Contains('\0', StringComparison.Ordinal))
            {
                fail(arg.Line, arg.Column, $"'{at}.run' holds a NUL character: remove it");
                ok = false;
            }
        }

        if (step.Argv.Count > 0 && string.IsNullOrWhiteSpace(step.Argv[0].Value))
        {
            fail(step.Argv[0].Line, step.Argv[0].Column, $"'{at}.run' starts with an empty command: the first item is the program (on PATH, or a path relative to the project dir)");
            ok = false;
        }

        TimeSpan? timeout = null;
        if (step.Timeout is { } t)
        {
            if (ConfigValidator.TryParseDuration(t.Value, out var parsed))
            {
                timeout = parsed;
            }
            else
            {
                fail(t.Line, t.Column, $"'{at}.timeout' is '{t.Value}': write a duration like 90s, 5m or 1h");
                ok = false;
            }
        }

        // The step's env follows the same rules as a project's (no PlanBot names, runner variables by name).
        var env = RunSettingsValidator.Validate(new RawRunSettings { Env = step.Env }, RepoPath.Root, at, (line, column, message) =>
        {
            ok = false;
            fail(line, column, message);
        }).Env;
        if (step.Name is { } name && (name.Value.Length == 0 || name.Value.Length > 80 || name.Value.Any(char.IsControl)))
        {
            fail(name.Line, name.Column, $"'{at}.name' must be 1 to 80 characters on one line");
            ok = false;
        }

        return ok
            ? new RunStep(step.Name?.Value ?? Path.GetFileName(step.Argv[0].Value), [.. step.Argv.Select(a => a.Value)], [.. env.Select(e => new TerraformEnv(e.Name, e.Value, e.FromRunner))], timeout)
            : null;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex WorkflowName();
}
