using System.CommandLine;
using EdgeLlm.EdgeRuntime.Cli;

// The `edgellm` CLI (README.md). Text goes to stdout; logs, statistics and errors to stderr.
var root = new RootCommand("EdgeLlm: fixed-point MobileLLM / llama inference for single-board computers")
{
    GenerateCommand.Create(),
    TokenizeCommand.Create(),
    ConvertCommand.Create(),
    InfoCommand.Create(),
    SynthCommand.Create(),
    PullCommand.Create(),
    ServeCommand.Create(),
    AskCommand.Create(),
    BenchCommand.Create(),
    PowerCommand.Create(),
    ListenCommand.Create(),
    DoctorCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
