namespace Ops.Chaos;

/// <summary>
/// <c>./ops chaos [--ops N] [--agents N] [--clients N] [--scenarios a,b,c,d] [--http-port N] [--grpc-port N] [--home DIR]</c>:
/// runs the scenarios and prints the report table; exit code 0 when every check passed.
/// </summary>
internal static class ChaosCommand
{
    public static async Task<int> Main(string[] args)
    {
        var options = ChaosOptions.Parse(args);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var results = await ChaosRun.RunAsync(options, Console.Out, cancel.Token);
        Console.WriteLine();
        Console.WriteLine(Report.Table(results));
        var failed = results.Count(r => !r.Passed);
        Console.WriteLine(failed == 0 ? $"chaos: {results.Count} scenarios passed" : $"chaos: {failed} of {results.Count} scenarios failed");
        return failed == 0 ? 0 : 1;
    }
}
