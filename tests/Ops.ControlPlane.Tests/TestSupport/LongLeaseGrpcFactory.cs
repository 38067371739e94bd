namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// The gRPC test host with leases and running grace of 10 minutes, so the lease reaper never
/// requeues a job on its own while a test sets up its fleet on a busy machine.
/// </summary>
public sealed class LongLeaseGrpcFactory : OpsGrpcFactory
{
    public LongLeaseGrpcFactory()
    {
        Settings["AgentProtocol:LeaseDuration"] = "00:10:00";
        Settings["AgentProtocol:RunningGrace"] = "00:10:00";
    }
}
