using System.Collections.Concurrent;
using Ops.Agent.Executors;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>An <see cref="IJobOutput"/> that keeps every line in memory, for executor and runner tests.</summary>
internal sealed class RecordingOutput : IJobOutput
{
    public ConcurrentQueue<(OutputStream Stream, string Line)> Lines { get; } = new();

    public IReadOnlyList<string> Of(OutputStream stream) => Lines.Where(l => l.Stream == stream).Select(l => l.Line).ToList();

    public string Text => string.Join("\n", Lines.Select(l => l.Line));

    public void WriteLine(OutputStream stream, string line) => Lines.Enqueue((stream, line));
}
