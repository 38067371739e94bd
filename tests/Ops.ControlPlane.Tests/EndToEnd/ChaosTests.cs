using Ops.Chaos;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit.Abstractions;

namespace Ops.ControlPlane.Tests.EndToEnd;

/// <summary>
/// A short version of <c>./ops chaos</c> (issue 16) inside the test suite: the real control plane
/// and two real agents as processes on an embedded cluster; (a) kill -9 of the control plane
/// under a closed-loop load with Idempotency-Keys and client retries, then (b)
/// <c>pg_ctl restart -m immediate</c> under load. Every accepted operation ends terminal, none is
/// missing, none ran twice, one operation per key, no 500 (and in (b) only 2xx or 503 with
/// Retry-After, no process restart).
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ControlPlaneKillAndDatabaseRestart_UnderLoad_LoseNothingAndRunNothingTwice()
    {
        var home = Path.Combine(Path.GetTempPath(), $"ops-tests-chaos-{Guid.NewGuid():N}"[..40]);
        var options = new ChaosOptions
        {
            Home = home,
            HttpPort = LoopbackPorts.Free(),
            GrpcPort = LoopbackPorts.Free(),
            Operations = 60,
            Agents = 2,
            Clients = 4,
            Scenarios = new HashSet<char> { 'a', 'b' },
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var log = new StringWriter();
        try
        {
            var results = await ChaosRun.RunAsync(options, log, timeout.Token);

            var table = Report.Table(results);
            output.WriteLine(log.ToString());
            output.WriteLine(table);
            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.True(r.Passed, $"{log}\n{table}"));
        }
        finally
        {
            try
            {
                Directory.Delete(home, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
