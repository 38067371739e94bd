using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Ops.ControlPlane.Features.Approvals;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Approvals;

/// <summary>The control plane with one more approval target, <c>test_change</c>, as runbook runs and schedules will add theirs.</summary>
public sealed class ApprovalsApiFactory : OpsApiFactory
{
    internal RecordingApprovalTarget Target { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IApprovalTarget>(Target));
    }
}

/// <summary>An <see cref="IApprovalTarget"/> that records which transition reached which resource.</summary>
internal sealed class RecordingApprovalTarget : IApprovalTarget
{
    public const string Type = "test_change";

    public ConcurrentDictionary<string, string> Transitions { get; } = new(StringComparer.Ordinal);

    public string ResourceType => Type;

    public Task ReleaseAsync(ApprovalTransition transition, CancellationToken cancellationToken) => Record(transition, "released");

    public Task RejectAsync(ApprovalTransition transition, CancellationToken cancellationToken) => Record(transition, "rejected");

    public Task ExpireAsync(ApprovalTransition transition, CancellationToken cancellationToken) => Record(transition, "expired");

    private Task Record(ApprovalTransition transition, string what)
    {
        Assert.False(transition.Transaction.IsCompleted());
        transition.AfterCommit(() => Transitions[transition.Approval.ResourceId] = what);
        return Task.CompletedTask;
    }
}

internal static class TransactionExtensions
{
    /// <summary>True once the transaction was committed or rolled back (its connection is then detached).</summary>
    public static bool IsCompleted(this Npgsql.NpgsqlTransaction transaction) => transaction.Connection is null;
}
