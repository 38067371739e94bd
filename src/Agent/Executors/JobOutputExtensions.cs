using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Executors;

/// <summary>Shorthands for <see cref="IJobOutput.WriteLine"/>.</summary>
internal static class JobOutputExtensions
{
    /// <summary>Writes a line to stdout.</summary>
    public static void Stdout(this IJobOutput output, string line) => output.WriteLine(OutputStream.Stdout, line);

    /// <summary>Writes a line to stderr.</summary>
    public static void Stderr(this IJobOutput output, string line) => output.WriteLine(OutputStream.Stderr, line);

    /// <summary>Writes an agent note (not produced by the operation itself).</summary>
    public static void System(this IJobOutput output, string line) => output.WriteLine(OutputStream.System, line);
}
