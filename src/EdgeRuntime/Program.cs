using System.CommandLine;
using EdgeLlm.EdgeRuntime.Cli;

// Temporary wiring in the runtime branch (the lead owns this file): serve and ask.
var root = new RootCommand("EdgeLlm")
{
    ServeCommand.Create(),
    AskCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
