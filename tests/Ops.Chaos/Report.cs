using System.Text;

namespace Ops.Chaos;

/// <summary>The report table printed at the end of a chaos run (Markdown, so it can be pasted into a note).</summary>
internal static class Report
{
    public static string Table(IEnumerable<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | fault | accepted | terminal | succeeded | other | missing | duplicated per key | ran twice | 500s | 503s (Retry-After) | connection errors | notes | result |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var r in results)
        {
            text.Append("| (").Append(r.Name).Append(") | ").Append(r.Fault)
                .Append(" | ").Append(r.Accepted).Append('/').Append(r.Total)
                .Append(" | ").Append(r.Terminal)
                .Append(" | ").Append(r.Succeeded)
                .Append(" | ").Append(r.OtherStatuses.Length == 0 ? "—" : r.OtherStatuses)
                .Append(" | ").Append(r.Missing)
                .Append(" | ").Append(r.DuplicatedPerKey)
                .Append(" | ").Append(r.RanTwice)
                .Append(" | ").Append(r.Responses500)
                .Append(" | ").Append(r.Responses503)
                .Append(" | ").Append(r.ConnectionErrors)
                .Append(" | ").Append(r.Notes)
                .Append(" | ").Append(r.Passed ? "PASS" : "FAIL: " + string.Join("; ", r.Failures))
                .AppendLine(" |");
        }

        return text.ToString();
    }
}
