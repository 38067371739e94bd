using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Connection;
using Ops.Agent.Policy;
using Ops.Agent.Hosting;
using Ops.Agent.Telemetry;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Polly;

namespace Ops.Agent.Identity;

/// <summary>
/// Gives the agent its identity: the stored <c>identity.json</c>, or on the first start an
/// Enroll call with <c>Agent:EnrollmentToken</c>, the host name, labels, version, capabilities
/// (the enabled kinds) and host facts (DESIGN.md §4). Transient failures (the control plane
/// not up yet) are retried with backoff; a refused token is fatal (exit code 2).
/// </summary>
internal sealed class EnrollmentService
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly AgentService.AgentServiceClient client;
    private readonly IdentityStore store;
    private readonly AgentSession session;
    private readonly AgentOptions options;
    private readonly AgentCapabilities capabilities;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<EnrollmentService> logger;
    private readonly ResiliencePipeline retry;

    /// <summary>Creates the service.</summary>
    public EnrollmentService(
        AgentService.AgentServiceClient client,
        IdentityStore store,
        AgentSession session,
        IOptions<AgentOptions> options,
        AgentCapabilities capabilities,
        ReconnectBackoff backoff,
        TimeProvider timeProvider,
        ILogger<EnrollmentService> logger)
    {
        this.client = client;
        this.store = store;
        this.session = session;
        this.options = options.Value;
        this.capabilities = capabilities;
        this.timeProvider = timeProvider;
        this.logger = logger;
        retry = backoff.Create("Enroll", RpcErrors.IsTransient);
    }

    /// <summary>Loads or creates the identity and configures the client's agent token with it.</summary>
    /// <exception cref="AgentFatalException">
    /// Exit code 2: the state directory is unusable, the identity file is corrupt, there is no
    /// identity and no enrollment token, or the control plane refused the token.
    /// </exception>
    public async Task<AgentIdentity> EnsureIdentityAsync(CancellationToken cancellationToken)
    {
        store.EnsureStateDirectory();
        var identity = store.Load();
        if (identity is not null)
        {
            IdentityLog.IdentityLoaded(logger, identity.AgentId, store.FilePath);
            if (!string.Equals(identity.ControlPlaneUrl, options.ControlPlaneUrl, StringComparison.OrdinalIgnoreCase))
            {
                IdentityLog.ControlPlaneUrlChanged(logger, identity.ControlPlaneUrl, options.ControlPlaneUrl);
            }

            if (!string.IsNullOrEmpty(options.EnrollmentToken))
            {
                IdentityLog.EnrollmentTokenIgnored(logger);
            }
        }
        else
        {
            identity = await EnrollAsync(cancellationToken).ConfigureAwait(false);
        }

        session.AgentToken = identity.AgentToken;
        session.AgentId = identity.AgentId;
        return identity;
    }

    private async Task<AgentIdentity> EnrollAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.EnrollmentToken))
        {
            throw new AgentFatalException(
                AgentExitCodes.Configuration,
                $"No agent identity in '{store.FilePath}' and no enrollment token: set Agent:EnrollmentToken "
                + "(e.g. OPS_AGENT_Agent__EnrollmentToken=<token>) for the first start. Create a token with POST /api/v1/enrollment-tokens.");
        }

        IdentityLog.Enrolling(logger, store.FilePath, options.Hostname, options.ControlPlaneUrl);
        var request = new EnrollRequest
        {
            EnrollmentToken = options.EnrollmentToken,
            Hostname = options.Hostname,
            AgentVersion = AgentVersion.Current,
            Facts = HostFactsReader.Read(),
        };
        request.Labels.Add(options.Labels);
        request.Capabilities.AddRange(capabilities.Kinds);

        EnrollResponse response;
        try
        {
            response = await retry.ExecuteAsync(
                async token => await client.EnrollAsync(request, deadline: DateTime.UtcNow + CallTimeout, cancellationToken: token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!RpcErrors.IsCancellation(ex, cancellationToken) && !RpcErrors.IsTransient(ex))
        {
            throw new AgentFatalException(
                AgentExitCodes.Configuration,
                $"The control plane refused the enrollment ({RpcErrors.Describe(ex)}). Check Agent:EnrollmentToken: it may be wrong, expired or used up.",
                ex);
        }

        var identity = new AgentIdentity(response.AgentId, response.AgentToken, options.ControlPlaneUrl);
        store.Save(identity);
        session.UpdateHeartbeatInterval(response.HeartbeatIntervalMs);
        IdentityLog.Enrolled(logger, identity.AgentId, store.FilePath);
        return identity;
    }
}
