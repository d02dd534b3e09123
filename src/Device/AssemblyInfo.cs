// Device interfaces arrive with the voice and power issues.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("EdgeLlm.Device.Tests")]
