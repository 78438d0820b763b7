using PlanBot.Render;

return await RenderApp.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
