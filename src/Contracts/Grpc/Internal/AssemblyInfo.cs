using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Ops.Contracts.Tests")]
