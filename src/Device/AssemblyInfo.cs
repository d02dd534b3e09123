[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("EdgeLlm.Device.Tests")]
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("EdgeLlm.EdgeRuntime.Tests")]
