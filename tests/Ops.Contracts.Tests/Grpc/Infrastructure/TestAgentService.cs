using System.Collections.Concurrent;
using System.Globalization;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;

namespace Ops.Contracts.Tests.Grpc.Infrastructure;

/// <summary>
/// A C# implementation of AgentService driven by request content (mirrors tests/interop/server.js):
/// Enroll.enrollment_token "ok" echoes metadata, "status:N" fails with status N, "sleep:MS:ID" waits and
/// records cancellation of its token, "throw" throws a non-Rpc exception, "size" answers the hostname length;
/// Pull.max_jobs N returns a job with an N MiB parameters_json.
/// </summary>
public sealed class TestAgentService
{
    public const int MiB = 1024 * 1024;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> sleepers = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> starters = new();

    public static string StatusMessage(StatusCode code) => $"Fehler ü ✓ 100% sicher: status {(int)code}";

    public GrpcServiceDefinition CreateDefinition(string serviceName = AgentServiceMethods.ServiceName) =>
        new GrpcServiceDefinition(serviceName)
            .AddUnaryMethod<EnrollRequest, EnrollResponse>(AgentServiceMethods.EnrollMethodName, EnrollAsync)
            .AddUnaryMethod<PullRequest, PullResponse>(AgentServiceMethods.PullMethodName, PullAsync);

    /// <summary>Completes with true when the sleeping call <paramref name="id"/> saw its token cancelled.</summary>
    public Task<bool> WhenSleeperEnds(string id) => Sleeper(id).Task;

    /// <summary>Completes when the sleeping call <paramref name="id"/> has started its handler.</summary>
    public Task WhenSleeperStarts(string id) => Starter(id).Task;

    private TaskCompletionSource Starter(string id) =>
        starters.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private TaskCompletionSource<bool> Sleeper(string id) =>
        sleepers.GetOrAdd(id, _ => new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task<EnrollResponse> EnrollAsync(EnrollRequest request, ServerCallContext context)
    {
        var token = request.EnrollmentToken;
        if (token == "ok")
        {
            foreach (var entry in context.RequestHeaders.GetAll("x-echo"))
            {
                context.ResponseHeaders.Add("x-echo", entry.Value);
                context.ResponseTrailers.Add("x-echo-trailer", entry.Value);
            }

            foreach (var entry in context.RequestHeaders.GetAll("x-data-bin"))
            {
                context.ResponseHeaders.Add("x-data-bin", entry.ValueBytes);
                context.ResponseTrailers.Add("x-data-trailer-bin", entry.ValueBytes);
            }

            context.ResponseHeaders.Add("x-method", context.Method);
            context.ResponseHeaders.Add("x-peer", context.Peer);
            context.ResponseHeaders.Add("x-request-keys", string.Join(",", context.RequestHeaders.Select(e => e.Key).Distinct()));
            return new EnrollResponse
            {
                AgentId = "agent-" + request.Hostname,
                AgentToken = context.RequestHeaders.Get("authorization") ?? string.Empty,
                HeartbeatIntervalMs = context.Deadline is { } deadline
                    ? (int)Math.Max(1, (deadline - DateTimeOffset.UtcNow).TotalMilliseconds)
                    : 0,
            };
        }

        if (token.StartsWith("status:", StringComparison.Ordinal))
        {
            var code = (StatusCode)int.Parse(token["status:".Length..], CultureInfo.InvariantCulture);
            context.ResponseTrailers.Add("x-context-trailer", "kept");
            throw new RpcException(code, StatusMessage(code), new Metadata { { "x-error", "yes" } });
        }

        if (token.StartsWith("sleep:", StringComparison.Ordinal))
        {
            var parts = token.Split(':');
            var id = parts.Length > 2 ? parts[2] : Guid.NewGuid().ToString();
            var sleeper = Sleeper(id);
            Starter(id).TrySetResult();
            try
            {
                await Task.Delay(int.Parse(parts[1], CultureInfo.InvariantCulture), context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                sleeper.TrySetResult(true);
                throw;
            }

            sleeper.TrySetResult(false);
            return new EnrollResponse { AgentId = "slept" };
        }

        if (token == "throw")
        {
            throw new InvalidOperationException("secret internal detail");
        }

        if (token == "size")
        {
            return new EnrollResponse { AgentId = request.Hostname.Length.ToString(CultureInfo.InvariantCulture) };
        }

        throw new RpcException(StatusCode.InvalidArgument, $"unknown enrollment_token '{token}'");
    }

    private Task<PullResponse> PullAsync(PullRequest request, ServerCallContext context)
    {
        var response = new PullResponse();
        if (request.MaxJobs > 0)
        {
            response.Jobs.Add(new JobAssignment
            {
                JobId = "job-" + request.MaxJobs.ToString(CultureInfo.InvariantCulture),
                ParametersJson = new string('x', request.MaxJobs * MiB),
            });
        }

        return Task.FromResult(response);
    }
}
