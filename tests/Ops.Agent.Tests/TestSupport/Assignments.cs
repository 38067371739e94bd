using Google.Protobuf.WellKnownTypes;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>Builds job assignments for the fake control plane.</summary>
public static class Assignments
{
    public static JobAssignment Create(string kind, string parametersJson = "{}", TimeSpan? deadlineIn = null, string? jobId = null) => new()
    {
        JobId = jobId ?? "job-" + Guid.NewGuid().ToString("N")[..8],
        OperationId = "op-1",
        Kind = kind,
        ParametersJson = parametersJson,
        Attempt = 1,
        Deadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow + (deadlineIn ?? TimeSpan.FromMinutes(5))),
    };
}
