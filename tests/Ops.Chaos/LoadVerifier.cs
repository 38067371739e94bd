using System.Diagnostics;
using System.Text.Json;

namespace Ops.Chaos;

/// <summary>
/// After a load: waits until every accepted operation is terminal, then compares what the clients
/// were told, what the control plane holds and what the agents did (the marks file).
/// </summary>
internal static class LoadVerifier
{
    public static async Task<ScenarioResult> VerifyAsync(ScenarioResult result, OpsApi api, ClosedLoopLoad load, string runTag, string home, CancellationToken cancellationToken)
    {
        var accepted = load.OperationIdsByKey.ToDictionary(p => p.Key, p => p.Value.Distinct().ToList(), StringComparer.Ordinal);
        List<JsonElement> operations;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            operations = await api.ListOperationsAsync(runTag, cancellationToken);
            if (operations.All(o => OpsApi.IsTerminal(o.GetProperty("status").GetString())) || waited.Elapsed > TimeSpan.FromMinutes(3))
            {
                break;
            }

            await Task.Delay(500, cancellationToken);
        }

        var byTag = operations.GroupBy(o => OpsApi.TagOf(o)!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var marks = File.Exists(AgentHost.MarksFile(home))
            ? (await File.ReadAllLinesAsync(AgentHost.MarksFile(home), cancellationToken)).Where(l => l.StartsWith(runTag, StringComparison.Ordinal)).GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal)
            : [];
        var statuses = operations.GroupBy(o => o.GetProperty("status").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        var succeeded = operations.Where(o => o.GetProperty("status").GetString() == "succeeded").ToList();

        var missing = accepted.Count(p => !byTag.TryGetValue(p.Key, out var ops) || !ops.Any(o => p.Value.Contains(o.GetProperty("id").GetString()!)));
        var duplicated = byTag.Count(p => p.Value.Count > 1) + accepted.Count(p => p.Value.Count > 1);
        var ranTwice = marks.Count(p => p.Value > 1);
        var succeededWithoutRun = succeeded.Count(o => !marks.ContainsKey(OpsApi.TagOf(o)!));
        var terminal = operations.Count(o => OpsApi.IsTerminal(o.GetProperty("status").GetString()));

        // Why the operations that did not succeed ended so (their jobs' errors), for the report.
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var op in operations.Where(o => o.GetProperty("status").GetString() != "succeeded").Take(50))
        {
            var full = await api.GetAsync($"/api/v1/operations/{op.GetProperty("id").GetString()}", cancellationToken);
            foreach (var job in full.GetProperty("jobs").EnumerateArray())
            {
                var reason = $"{job.GetProperty("status").GetString()}: {(job.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : "")}";
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }
        }

        var checkedResult = result with
        {
            Notes = result.Notes + (reasons.Count == 0 ? "" : "; " + string.Join(", ", reasons.Select(r => $"{r.Value}× {r.Key}"))),
            Accepted = accepted.Count,
            Terminal = terminal,
            Succeeded = succeeded.Count,
            OtherStatuses = string.Join(" ", statuses.Where(s => s.Key != "succeeded").Select(s => $"{s.Key}:{s.Value}")),
            Missing = missing,
            DuplicatedPerKey = duplicated,
            RanTwice = ranTwice,
            Responses500 = load.Responses500,
            Responses503 = load.Responses503,
            ConnectionErrors = load.ConnectionErrors,
        };
        var failures = checkedResult.Failures; // the same list as result's (a record copy is shallow)
        if (accepted.Count != result.Total)
        {
            failures.Add($"{result.Total - accepted.Count} of {result.Total} operations were never accepted");
        }

        if (missing > 0)
        {
            failures.Add($"{missing} accepted operations are missing");
        }

        if (duplicated > 0)
        {
            failures.Add($"{duplicated} keys have more than one operation");
        }

        if (byTag.Count != accepted.Count)
        {
            failures.Add($"the control plane holds operations for {byTag.Count} keys, the clients were told {accepted.Count}");
        }

        if (terminal != operations.Count)
        {
            failures.Add($"{operations.Count - terminal} operations are not terminal after 3 minutes");
        }

        if (ranTwice > 0)
        {
            failures.Add($"{ranTwice} jobs ran twice (marks file)");
        }

        if (succeededWithoutRun > 0)
        {
            failures.Add($"{succeededWithoutRun} operations succeeded without their script having run");
        }

        if (load.Responses500 > 0)
        {
            failures.Add($"{load.Responses500} responses 500");
        }

        if (load.Unexpected4xx > 0)
        {
            failures.Add($"{load.Unexpected4xx} unexpected 4xx");
        }

        failures.AddRange(load.Anomalies.Take(5));
        return checkedResult;
    }
}
