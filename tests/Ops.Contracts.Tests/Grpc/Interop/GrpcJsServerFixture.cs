using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Net.Client;
using Ops.Contracts.Agent;

namespace Ops.Contracts.Tests.Grpc.Interop;

/// <summary>Runs <c>node tests/interop/server.js</c> (a @grpc/grpc-js AgentService) for a test class.</summary>
public sealed class GrpcJsServerFixture : IAsyncLifetime
{
    private readonly StringBuilder stderr = new();
    private Process? process;

    public GrpcChannel Channel { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    public string StandardError
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        process = Process.Start(NodeInterop.StartInfo("server.js", []))
            ?? throw new InvalidOperationException("could not start node server.js");
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"server.js did not print its port (got '{line}'): {StandardError}");
        }

        var port = int.Parse(line["PORT ".Length..], CultureInfo.InvariantCulture);
        Address = new Uri($"http://127.0.0.1:{port}");
        Channel = AgentChannels.Create(Address);
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (process is not null)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }
}
