using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Connection;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Agent.Identity;
using Ops.Agent.Jobs;
using Ops.Agent.Policy;
using Ops.Agent.Postgres;
using Ops.Agent.Redaction;
using Ops.Agent.Services;
using Ops.Agent.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Grpc.Net.Client;

namespace Ops.Agent.Hosting;

/// <summary>Registers the agent in a host and runs it.</summary>
internal static class AgentHostingExtensions
{
    /// <summary>How long the host waits for the agent to stop: the 10 s job grace plus margin.</summary>
    public static readonly TimeSpan ShutdownTimeout = AgentWorker.ShutdownGrace + TimeSpan.FromSeconds(10);

    /// <summary>
    /// Adds the agent: <see cref="AgentOptions"/> bound from the <c>Agent</c> section and validated
    /// at start, <see cref="PolicyOptions"/> from <c>Policy</c>, the gRPC client, the connection
    /// loops, the job runner, the process runner, the path policy, the redactor, every
    /// <see cref="IOperationExecutor"/> of this assembly (listed in <see cref="AddExecutors"/>, not
    /// found by reflection, so the Native AOT binary keeps them; <c>AgentExecutorRegistrationTests</c>
    /// fails for an executor class left out) and the <see cref="AgentWorker"/> hosted service. Executors registered afterwards as <see cref="IOperationExecutor"/> replace
    /// built-in ones of the same kind (the last registration of a kind wins).
    /// </summary>
    public static IHostApplicationBuilder AddOpsAgent(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<AgentOptions>()
            .Bind(builder.Configuration.GetSection(AgentOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton(sp => AgentChannels.Create(new Uri(sp.GetRequiredService<IOptions<AgentOptions>>().Value.ControlPlaneUrl)));
        services.AddSingleton(sp => AgentChannels.Client(sp.GetRequiredService<GrpcChannel>(), () => sp.GetRequiredService<AgentSession>().AgentToken));

        services.AddSingleton<AgentLifetime>();
        services.AddSingleton<AgentSession>();
        services.AddSingleton<ReconnectBackoff>();
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<EnrollmentService>();
        services.AddSingleton<HostStatsSampler>();
        services.AddSingleton<AgentCapabilities>();
        services.AddSingleton<RunningJobs>();
        services.AddSingleton<ResultSpool>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<PullLoop>();
        services.AddSingleton<HeartbeatLoop>();

        services.AddOptions<PolicyOptions>().Bind(builder.Configuration.GetSection(PolicyOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>();
        services.AddSingleton<PathPolicy>();
        services.AddSingleton<IRedactor>(sp => new Redactor(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<IProcessRunner, ProcessRunner>();

        AddExecutors(services);

        services.AddHostedService<AgentWorker>();

        // OpenTelemetry (DESIGN.md §10): job spans continue the operation's trace; gRPC and HTTP
        // client calls are traced; OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("ops-agent", serviceVersion: AgentVersion.Current))
            .WithTracing(t => t.AddSource(AgentTelemetry.Name).AddGrpcClientInstrumentation().AddHttpClientInstrumentation())
            .WithMetrics(m => m.AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }

        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        return builder;
    }

    /// <summary>
    /// Runs the host until it stops and returns the process exit code (<see cref="AgentExitCodes"/>):
    /// invalid configuration is printed to stderr with exit code 2.
    /// </summary>
    public static async Task<int> RunOpsAgentAsync(this IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var lifetime = host.Services.GetRequiredService<AgentLifetime>();
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FindValidationErrors(ex) is { Count: > 0 } errors)
        {
            await Console.Error.WriteLineAsync("ops-agent: invalid configuration:").ConfigureAwait(false);
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync("  - " + error).ConfigureAwait(false);
            }

            return AgentExitCodes.Configuration;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("ops-agent: failed to start: " + ex.Message).ConfigureAwait(false);
            return AgentExitCodes.Failure;
        }

        return lifetime.ExitCode;
    }

    /// <summary>
    /// Registers every built-in <see cref="IOperationExecutor"/> as a singleton, ordered by full
    /// type name (the order reflection gave before the agent became Native AOT), so executors
    /// registered after <see cref="AddOpsAgent"/> still replace built-in ones of the same kind.
    /// </summary>
    private static void AddExecutors(IServiceCollection services)
    {
        services.AddSingleton<IOperationExecutor, AgentPingExecutor>();
        services.AddSingleton<IOperationExecutor, FileBackupExecutor>();
        services.AddSingleton<IOperationExecutor, FilesArchiveExecutor>();
        services.AddSingleton<IOperationExecutor, FilesPruneExecutor>();
        services.AddSingleton<IOperationExecutor, FilesRestoreArchiveExecutor>();
        services.AddSingleton<IOperationExecutor, HostDiskExecutor>();
        services.AddSingleton<IOperationExecutor, HostFactsExecutor>();
        services.AddSingleton<IOperationExecutor, HostStatsExecutor>();
        services.AddSingleton<IOperationExecutor, HttpCheckExecutor>();
        services.AddSingleton<IOperationExecutor, HttpRequestExecutor>();
        services.AddSingleton<IOperationExecutor, LogsTailExecutor>();
        services.AddSingleton<IOperationExecutor, QueueCheckExecutor>();
        services.AddSingleton<IOperationExecutor, RedisCheckExecutor>();
        services.AddSingleton<IOperationExecutor, ScriptRunExecutor>();
        services.AddSingleton<IOperationExecutor, TlsCheckExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresBackupExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresCheckExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresPurgeExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresReindexExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresRestoreExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresStatsExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresVacuumExecutor>();
        services.AddSingleton<IOperationExecutor, PostgresVerifyBackupExecutor>();
        services.AddSingleton<IOperationExecutor, ServiceRestartExecutor>();
        services.AddSingleton<IOperationExecutor, ServiceStatusExecutor>();
    }

    private static List<string> FindValidationErrors(Exception exception) => exception switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(FindValidationErrors).ToList(),
        _ => [],
    };
}
