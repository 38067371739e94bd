namespace Ops.Chaos;

/// <summary>
/// One chaos run: starts the control plane on its embedded PostgreSQL and the agents, runs the
/// chosen scenarios one after the other, stops everything it started.
/// </summary>
internal static class ChaosRun
{
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(ChaosOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Home);
        await using var controlPlane = new ControlPlaneHost(options);
        log.WriteLine($"control plane: REST :{options.HttpPort}, gRPC :{options.GrpcPort}, home {options.Home}");
        await controlPlane.StartAsync(cancellationToken);
        using var api = new OpsApi(controlPlane.RestAddress, await controlPlane.MintTokenAsync("admin", cancellationToken));
        var agents = new List<AgentHost>();
        try
        {
            var token = await api.CreateEnrollmentTokenAsync(options.Agents, cancellationToken);
            for (var i = 0; i < options.Agents; i++)
            {
                agents.Add(await AgentHost.StartAsync(options, i, token, cancellationToken));
            }

            log.WriteLine($"{agents.Count} agents enrolled: {string.Join(", ", agents.Select(a => a.AgentId))}");
            var scenarios = new Scenarios(options, controlPlane, api, agents, log);
            var results = new List<ScenarioResult>();
            if (options.Scenarios.Contains('a'))
            {
                results.Add(await scenarios.KillControlPlaneAsync(cancellationToken));
            }

            if (options.Scenarios.Contains('b'))
            {
                results.Add(await scenarios.RestartPostgresAsync(cancellationToken));
            }

            if (options.Scenarios.Contains('c'))
            {
                results.Add(await scenarios.StopAgentAsync(cancellationToken));
            }

            if (options.Scenarios.Contains('d'))
            {
                results.Add(await scenarios.KillOneOfTwoReplicasAsync(cancellationToken));
            }

            return results;
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }
}
