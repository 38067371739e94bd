namespace Ops.Contracts.Agent;

/// <summary>
/// Names and paths of <c>ops.agent.v1.AgentService</c> (protos/ops/agent/v1/agent.proto, DESIGN.md §4).
/// A method path is <c>/{ServiceName}/{MethodName}</c> (PROTOCOL-HTTP2.md ":path", Appendix A).
/// </summary>
public static class AgentServiceMethods
{
    /// <summary>The fully qualified service name.</summary>
    public const string ServiceName = "ops.agent.v1.AgentService";

    /// <summary>Method name of Enroll.</summary>
    public const string EnrollMethodName = "Enroll";

    /// <summary>Method name of Pull.</summary>
    public const string PullMethodName = "Pull";

    /// <summary>Method name of Start.</summary>
    public const string StartMethodName = "Start";

    /// <summary>Method name of AppendOutput.</summary>
    public const string AppendOutputMethodName = "AppendOutput";

    /// <summary>Method name of Heartbeat.</summary>
    public const string HeartbeatMethodName = "Heartbeat";

    /// <summary>Method name of Complete.</summary>
    public const string CompleteMethodName = "Complete";

    /// <summary>Path of Enroll: <c>/ops.agent.v1.AgentService/Enroll</c>.</summary>
    public const string Enroll = "/" + ServiceName + "/" + EnrollMethodName;

    /// <summary>Path of Pull: <c>/ops.agent.v1.AgentService/Pull</c>.</summary>
    public const string Pull = "/" + ServiceName + "/" + PullMethodName;

    /// <summary>Path of Start: <c>/ops.agent.v1.AgentService/Start</c>.</summary>
    public const string Start = "/" + ServiceName + "/" + StartMethodName;

    /// <summary>Path of AppendOutput: <c>/ops.agent.v1.AgentService/AppendOutput</c>.</summary>
    public const string AppendOutput = "/" + ServiceName + "/" + AppendOutputMethodName;

    /// <summary>Path of Heartbeat: <c>/ops.agent.v1.AgentService/Heartbeat</c>.</summary>
    public const string Heartbeat = "/" + ServiceName + "/" + HeartbeatMethodName;

    /// <summary>Path of Complete: <c>/ops.agent.v1.AgentService/Complete</c>.</summary>
    public const string Complete = "/" + ServiceName + "/" + CompleteMethodName;
}
