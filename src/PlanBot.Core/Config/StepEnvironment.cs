namespace PlanBot.Core.Config;

// Described by planbot.yaml (a project's terraform.env, a workflow's run step) and handed to ITerraform:
// Config owns them so that Ports may use Config and never the other way round.

/// <summary>An environment variable for terraform: a literal, or (FromRunner) the runner's variable named Value.</summary>
public sealed record TerraformEnv(string Name, string Value, bool FromRunner);

/// <summary>A workflow's <c>run</c> step: argv (never a shell), its env on top of the project's, its timeout (null: terraform.timeout).</summary>
public sealed record RunStep(string Name, IReadOnlyList<string> Argv, IReadOnlyList<TerraformEnv> Env, TimeSpan? Timeout);
