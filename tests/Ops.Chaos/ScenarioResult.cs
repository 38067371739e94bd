namespace Ops.Chaos;

/// <summary>What one scenario observed, and the failures of its checks (none = passed).</summary>
internal sealed record ScenarioResult(string Name, string Fault)
{
    public int Total { get; init; }
    public int Accepted { get; init; }
    public int Terminal { get; init; }
    public int Succeeded { get; init; }
    public string OtherStatuses { get; init; } = "";
    public int Missing { get; init; }
    public int DuplicatedPerKey { get; init; }
    public int RanTwice { get; init; }
    public int Responses500 { get; init; }
    public int Responses503 { get; init; }
    public int ConnectionErrors { get; init; }
    public string Notes { get; init; } = "";
    public List<string> Failures { get; } = [];

    public bool Passed => Failures.Count == 0;
}
