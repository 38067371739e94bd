using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ops.Benchmarks;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;

// ./ops bench: starts the real control plane (its embedded PostgreSQL in a fresh OPS_HOME),
// measures, and writes BENCHMARKS.md. No assertions: numbers for people to read.
var root = FindRoot();
var dll = Path.Combine(root, "src", "ControlPlane", "bin", "Release", "net10.0", "Ops.ControlPlane.dll");
var home = Path.Combine(Path.GetTempPath(), $"ops-bench-{Guid.NewGuid():N}"[..20]);
var samples = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
Console.WriteLine($"control plane: {dll}\nOPS_HOME: {home}");

await using (var controlPlane = await ControlPlaneProcess.StartAsync(dll, home))
{
    var token = await ControlPlaneProcess.MintTokenAsync(dll, home, "admin");
    using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{controlPlane.HttpPort}") };
    api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{controlPlane.GrpcPort}"));

    var agents = await EnrollAsync(api, channel, 4);
    var dispatch = await new DispatchLatencyBenchmark(api, agents).RunAsync(warmup: 50, samples);
    Console.WriteLine($"dispatch latency over {dispatch.Samples} operations (ms): POST→Pull p50 {dispatch.PullP50:F2} p95 {dispatch.PullP95:F2} p99 {dispatch.PullP99:F2}; POST→Start p50 {dispatch.StartP50:F2} p95 {dispatch.StartP95:F2} p99 {dispatch.StartP99:F2}; POST alone p50 {dispatch.PostP50:F2}");
    var rss = controlPlane.RssBytes();

    var report = new StringBuilder()
        .AppendLine("# Benchmarks")
        .AppendLine()
        .AppendLine("Produced by `./ops bench` (tests/Ops.Benchmarks); rewritten on every run. Numbers, not assertions: this machine is shared and noisy.")
        .AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC")
        .AppendLine(CultureInfo.InvariantCulture, $"- commit: {Git(root, "rev-parse --short HEAD")}")
        .AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} cores ({ProcStat.CpuModel()}), {ProcStat.MemoryTotalBytes() / (1024.0 * 1024 * 1024):F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}")
        .AppendLine("- setup: the real control plane process (Release) on its embedded PostgreSQL 15 (Unix socket, fsync on); simulated agents = real gRPC clients (our wire layer, h2c) in the benchmark process, each holding a Pull open; REST calls over HTTP/1.1 on loopback.")
        .AppendLine()
        .AppendLine("## Dispatch latency (agents waiting, one operation at a time)")
        .AppendLine()
        .AppendLine("| measure | p50 ms | p95 ms | p99 ms |")
        .AppendLine("| --- | ---: | ---: | ---: |")
        .AppendLine(CultureInfo.InvariantCulture, $"| POST /api/v1/operations → agent's Pull response | {dispatch.PullP50:F2} | {dispatch.PullP95:F2} | {dispatch.PullP99:F2} |")
        .AppendLine(CultureInfo.InvariantCulture, $"| POST /api/v1/operations → agent's Start response | {dispatch.StartP50:F2} | {dispatch.StartP95:F2} | {dispatch.StartP99:F2} |")
        .AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"{dispatch.Samples} operations after 50 warm-up, round-robin over {agents.Count} waiting agents. The POST alone (202 returned) has p50 {dispatch.PostP50:F2} ms; the Pull response arrives about as the 202 does, because the wake-up is signalled right after the commit. Control-plane RSS after the run: {rss / (1024.0 * 1024):F0} MiB.")
        .ToString();
    await File.WriteAllTextAsync(Path.Combine(root, "BENCHMARKS.md"), report);
    Console.WriteLine("wrote BENCHMARKS.md");
}

try
{
    Directory.Delete(home, recursive: true);
}
catch (IOException)
{
}

static async Task<List<(string Id, AgentServiceClient Client)>> EnrollAsync(HttpClient api, GrpcChannel channel, int count)
{
    var created = await api.PostAsJsonAsync("/api/v1/enrollment-tokens", new { maxUses = count, labels = new Dictionary<string, string> { ["bench"] = "true" } });
    created.EnsureSuccessStatusCode();
    var enrollment = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    var agents = new List<(string, AgentServiceClient)>();
    for (var i = 0; i < count; i++)
    {
        var client = new AgentServiceClient(channel);
        var request = new EnrollRequest { EnrollmentToken = enrollment, Hostname = $"bench-{i}", AgentVersion = "bench" };
        request.Capabilities.Add("agent.ping");
        var enrolled = await client.EnrollAsync(request);
        client.AgentToken = enrolled.AgentToken;
        agents.Add((enrolled.AgentId, client));
    }

    return agents;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Ops.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Ops.sln not found above " + AppContext.BaseDirectory);
}

static string Git(string root, string arguments)
{
    var info = new ProcessStartInfo("git", arguments) { WorkingDirectory = root, RedirectStandardOutput = true, UseShellExecute = false };
    using var process = Process.Start(info)!;
    var text = process.StandardOutput.ReadToEnd().Trim();
    process.WaitForExit();
    return text;
}
