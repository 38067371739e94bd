using Microsoft.Extensions.Hosting;
using Ops.Agent.Configuration;
using Ops.Agent.Hosting;

// The Ops agent: `dotnet Ops.Agent.dll --config /etc/ops-agent/agent.json` (docs/agent.md).
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
try
{
    builder.Configuration.AddOpsAgentConfiguration(args);
}
catch (AgentConfigurationException ex)
{
    await Console.Error.WriteLineAsync("ops-agent: " + ex.Message);
    return AgentExitCodes.Configuration;
}

builder.AddOpsAgent();
using var host = builder.Build();
return await host.RunOpsAgentAsync();
