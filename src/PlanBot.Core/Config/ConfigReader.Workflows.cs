using YamlDotNet.RepresentationModel;

namespace PlanBot.Core.Config;

/// <summary>Reads <c>workflows</c>: <c>name: { plan: [steps], apply: [steps] }</c>.</summary>
public sealed partial class ConfigReader
{
    private static readonly string[] StepNames = ["init", "plan", "apply"];

    private List<RawWorkflow> Workflows(YamlNode node)
    {
        var workflows = new List<RawWorkflow>();
        if (node is not YamlMappingNode mapping)
        {
            Error(node, "'workflows' must be a mapping of workflow names to { plan: [steps], apply: [steps] }");
            return workflows;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (Str(key, "workflows") is not { } name)
            {
                continue;
            }

            if (!seen.Add(name.Value))
            {
                Error(key, $"duplicate workflow '{name.Value}' in workflows: keep only one");
                continue;
            }

            var workflow = new RawWorkflow { Name = name };
            var where = $"workflows.{name.Value}";
            Mapping(value, where, new()
            {
                ["plan"] = m => workflow = workflow with { Plan = Steps(m, where + ".plan") },
                ["apply"] = m => workflow = workflow with { Apply = Steps(m, where + ".apply") },
            });
            workflows.Add(workflow);
        }

        return workflows;
    }

    private List<RawStep> Steps(YamlNode node, string where)
    {
        var steps = new List<RawStep>();
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"'{where}' must be a list of steps, like [init, plan] or [init, {{ run: [tflint] }}, plan]");
            return steps;
        }

        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            var at = $"{where}[{i}]";
            var step = new RawStep { Line = (int)item.Start.Line, Column = (int)item.Start.Column };
            if (item is YamlScalarNode)
            {
                if (Str(item, at) is { } kind)
                {
                    step = step with { Kind = kind };
                    if (!StepNames.Contains(kind.Value))
                    {
                        Error(item, $"'{at}' is '{kind.Value}': a step is init, plan, apply, or {{ run: [command, args…] }}");
                    }
                }

                steps.Add(step);
                continue;
            }

            Mapping(item, at, new()
            {
                ["run"] = m =>
                {
                    step = step with { Kind = new Located<string>("run", (int)m.Start.Line, (int)m.Start.Column) };
                    if (m is YamlScalarNode { Value: { } line })
                    {
                        // argv, never a shell: a string would need a shell (or our own word splitting) to mean anything.
                        Error(m, $"'{at}.run' must be a list (argv), not one string: PlanBot never runs a shell; write [{string.Join(", ", line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(4))}{(line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 4 ? ", …" : "")}]");
                    }
                    else
                    {
                        step = step with { Argv = StrList(m, at + ".run") };
                    }
                },
                ["name"] = m => step = step with { Name = Str(m, at + ".name") },
                ["env"] = m => step = step with { Env = Env(m, at + ".env") },
                ["timeout"] = m => step = step with { Timeout = Str(m, at + ".timeout") },
            });
            steps.Add(step);
        }

        return steps;
    }
}
