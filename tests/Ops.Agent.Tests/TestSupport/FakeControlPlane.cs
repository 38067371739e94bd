using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ops.Contracts.Agent.V1;
using Grpc.Core;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>
/// A fake control plane on a real Kestrel h2c endpoint (127.0.0.1, random port) implementing
/// <c>ops.agent.v1.AgentService</c> with an in-memory job queue. Records every call; knobs
/// inject failures.
/// </summary>
public sealed class FakeControlPlane : IAsyncDisposable
{
    public const string EnrollmentToken = "enroll-ok";

    private readonly object gate = new();
    private readonly Queue<JobAssignment> queue = new();
    private readonly List<string> pendingCancels = [];
    private WebApplication app = null!;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int outstandingPulls;
    private int pullFailuresLeft;

    public Uri Address { get; private set; } = null!;

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();

    public string AgentId { get; set; } = "agent-1";

    public string AgentToken { get; set; } = "agent-token-1";

    public int HeartbeatIntervalMs { get; set; } = 200;

    /// <summary>When true every call but Enroll answers UNAUTHENTICATED.</summary>
    public bool Revoked { get; set; }

    /// <summary>Status used by <see cref="FailNextPulls"/>.</summary>
    public StatusCode PullFailure { get; set; } = StatusCode.Unavailable;

    public Func<StartRequest, bool> Proceed { get; set; } = _ => true;

    /// <summary>Statuses to fail successive Complete calls with; then <see cref="CompleteAccepted"/>.</summary>
    public ConcurrentQueue<StatusCode> CompleteFailures { get; } = new();

    public bool CompleteAccepted { get; set; } = true;

    /// <summary>Job ids whose AppendOutput answers cancel_requested.</summary>
    public ConcurrentDictionary<string, bool> CancelOnOutput { get; } = new();

    /// <summary>Job ids to deliver as cancel_job_ids on the next Heartbeat response.</summary>
    public ConcurrentQueue<string> HeartbeatCancels { get; } = new();

    public int OutstandingPulls => Volatile.Read(ref outstandingPulls);

    /// <summary>
    /// Results recorded like the real control plane does: the first accepted completion of a
    /// (job, attempt) is stored; a duplicate is answered accepted=true and not stored again.
    /// </summary>
    public ConcurrentDictionary<(string JobId, int Attempt), CompleteRequest> Results { get; } = new();

    public static async Task<FakeControlPlane> StartAsync()
    {
        var fake = new FakeControlPlane();
        await fake.StartServerAsync(0);
        return fake;
    }

    /// <summary>Stops the server: the port refuses connections until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
    }

    /// <summary>Starts a new server on the same port with the same state (queue, calls, results).</summary>
    public Task RestartAsync() => StartServerAsync(Address.Port);

    private async Task StartServerAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new Service(this));
        app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Address = new Uri(address);
    }

    public void FailNextPulls(int count) => Interlocked.Exchange(ref pullFailuresLeft, count);

    public void Enqueue(JobAssignment assignment)
    {
        lock (gate)
        {
            queue.Enqueue(assignment);
            Signal();
        }
    }

    public void Cancel(string jobId)
    {
        lock (gate)
        {
            pendingCancels.Add(jobId);
            Signal();
        }
    }

    public IReadOnlyList<T> Requests<T>()
        where T : IMessage => Calls.Select(c => c.Request).OfType<T>().ToList();

    public IReadOnlyList<RecordedCall> CallsTo(string method) => Calls.Where(c => c.Method == method).ToList();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // Stopped by the test.
        }
    }

    private void Signal()
    {
        var old = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private Task<EnrollResponse> EnrollAsync(EnrollRequest request, ServerCallContext context)
    {
        Record("Enroll", request, context);
        if (request.EnrollmentToken != EnrollmentToken)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid enrollment token"));
        }

        return Task.FromResult(new EnrollResponse { AgentId = AgentId, AgentToken = AgentToken, HeartbeatIntervalMs = HeartbeatIntervalMs });
    }

    private Task<StartResponse> StartJobAsync(StartRequest request, ServerCallContext context)
    {
        Authorize("Start", request, context);
        return Task.FromResult(new StartResponse { Proceed = Proceed(request) });
    }

    private Task<AppendOutputResponse> AppendOutputAsync(AppendOutputRequest request, ServerCallContext context)
    {
        Authorize("AppendOutput", request, context);
        return Task.FromResult(new AppendOutputResponse { CancelRequested = CancelOnOutput.ContainsKey(request.JobId) });
    }

    private Task<HeartbeatResponse> HeartbeatAsync(HeartbeatRequest request, ServerCallContext context)
    {
        Authorize("Heartbeat", request, context);
        var response = new HeartbeatResponse { HeartbeatIntervalMs = HeartbeatIntervalMs };
        while (HeartbeatCancels.TryDequeue(out var jobId))
        {
            response.CancelJobIds.Add(jobId);
        }

        return Task.FromResult(response);
    }

    private Task<CompleteResponse> CompleteAsync(CompleteRequest request, ServerCallContext context)
    {
        Authorize("Complete", request, context);
        if (CompleteFailures.TryDequeue(out var failure))
        {
            throw new RpcException(new Status(failure, "injected failure"));
        }

        if (CompleteAccepted)
        {
            Results.TryAdd((request.JobId, request.Attempt), request);
        }

        return Task.FromResult(new CompleteResponse { Accepted = CompleteAccepted });
    }

    private async Task<PullResponse> PullAsync(PullRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref outstandingPulls);
        try
        {
            Authorize("Pull", request, context);
            if (Interlocked.Decrement(ref pullFailuresLeft) >= 0)
            {
                throw new RpcException(new Status(PullFailure, "injected pull failure"));
            }

            var waitUntil = DateTimeOffset.UtcNow.AddMilliseconds(Math.Min(request.WaitMs, 30_000));
            while (true)
            {
                Task signal;
                lock (gate)
                {
                    var response = new PullResponse();
                    response.CancelJobIds.AddRange(pendingCancels);
                    pendingCancels.Clear();
                    while (response.Jobs.Count < request.MaxJobs && queue.TryDequeue(out var job))
                    {
                        response.Jobs.Add(job);
                    }

                    if (response.Jobs.Count > 0 || response.CancelJobIds.Count > 0)
                    {
                        return response;
                    }

                    signal = changed.Task;
                }

                var remaining = waitUntil - DateTimeOffset.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    return new PullResponse();
                }

                try
                {
                    await signal.WaitAsync(remaining, context.CancellationToken);
                }
                catch (TimeoutException)
                {
                    return new PullResponse();
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref outstandingPulls);
        }
    }

    private void Authorize(string method, IMessage request, ServerCallContext context)
    {
        Record(method, request, context);
        if (Revoked || context.RequestHeaders.GetValue("authorization") != "Bearer " + AgentToken)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "unknown or revoked agent token"));
        }
    }

    private void Record(string method, IMessage request, ServerCallContext context) =>
        Calls.Enqueue(new RecordedCall(method, request, context.RequestHeaders.GetValue("authorization"), DateTimeOffset.UtcNow));

    /// <summary>The generated service base bound to this fake's in-memory state.</summary>
    private sealed class Service(FakeControlPlane fake) : AgentService.AgentServiceBase
    {
        public override Task<EnrollResponse> Enroll(EnrollRequest request, ServerCallContext context) => fake.EnrollAsync(request, context);

        public override Task<PullResponse> Pull(PullRequest request, ServerCallContext context) => fake.PullAsync(request, context);

        public override Task<StartResponse> Start(StartRequest request, ServerCallContext context) => fake.StartJobAsync(request, context);

        public override Task<AppendOutputResponse> AppendOutput(AppendOutputRequest request, ServerCallContext context) => fake.AppendOutputAsync(request, context);

        public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context) => fake.HeartbeatAsync(request, context);

        public override Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context) => fake.CompleteAsync(request, context);
    }
}
