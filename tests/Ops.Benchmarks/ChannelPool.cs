using Grpc.Core;
using Grpc.Net.Client;

namespace Ops.Benchmarks;

/// <summary>
/// Several <see cref="GrpcChannel"/>s to one control plane, so that many simulated agents fit:
/// a channel is one HTTP/2 connection and Kestrel allows the control plane 1,000 concurrent
/// streams per connection (<c>Http2.MaxStreamsPerConnection</c>), so agents that each keep a
/// <c>Pull</c> open are spread <see cref="AgentsPerChannel"/> to a channel. A real fleet has one
/// connection per agent; <c>agentsPerChannel = 1</c> models that.
/// </summary>
internal sealed class ChannelPool(Uri address, int agentsPerChannel) : IDisposable
{
    private readonly List<GrpcChannel> _channels = [];

    /// <summary>How many agents share one channel.</summary>
    public int AgentsPerChannel { get; } = agentsPerChannel;

    /// <summary>The channels (HTTP/2 connections) created so far.</summary>
    public int Count
    {
        get
        {
            lock (_channels)
            {
                return _channels.Count;
            }
        }
    }

    /// <summary>The channel of agent number <paramref name="agentIndex"/> (0-based), created on first use.</summary>
    public GrpcChannel ForAgent(int agentIndex)
    {
        var slot = agentIndex / AgentsPerChannel;
        lock (_channels)
        {
            while (_channels.Count <= slot)
            {
                _channels.Add(Ops.Contracts.Agent.AgentChannels.Create(address));
            }

            return _channels[slot];
        }
    }

    /// <summary>Closes every connection; calls in flight fail.</summary>
    public void Dispose()
    {
        lock (_channels)
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }
}
