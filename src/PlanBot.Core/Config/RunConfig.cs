namespace PlanBot.Core.Config;

/// <summary>
/// The configuration one run works with, loaded once at the start of the run and handed down to
/// every workflow (nothing below the entry loads planbot.yaml again).
/// </summary>
/// <param name="Config">The effective configuration.</param>
/// <param name="Dir">The directory planbot.yaml was looked for in.</param>
public sealed record RunConfig(PlanBotConfig Config, string Dir);
