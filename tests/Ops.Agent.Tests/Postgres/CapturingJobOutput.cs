using System.Collections.Concurrent;
using Ops.Agent.Executors;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.Postgres;

/// <summary>An <see cref="IJobOutput"/> that keeps every line, for assertions.</summary>
internal sealed class CapturingJobOutput : IJobOutput
{
    private readonly ConcurrentQueue<(OutputStream Stream, string Line)> lines = new();

    public IReadOnlyList<(OutputStream Stream, string Line)> Lines => [.. lines];

    public string Text => string.Join('\n', lines.Select(l => l.Line));

    public void WriteLine(OutputStream stream, string line) => lines.Enqueue((stream, line));
}
