using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>service.restart</c>: restart one service the agent's policy names (seed 002:
/// one service at a time; a service marked as a database only after a recent successful
/// <c>postgres.backup</c>).
/// </summary>
public sealed record ServiceRestartParameters(
    [property: Description("One service name from the agent's policy.")]
    string Service);
