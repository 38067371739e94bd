using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Ops.Agent.Telemetry;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>host.facts</c> (inventory): the host's identity and hardware. Result
/// <c>{hostname, fqdn?, os, osId, osVersion, kernel, architecture, cpuCount, memoryTotalBytes,
/// bootTime, uptimeSeconds}</c>: os = <c>/etc/os-release</c> PRETTY_NAME (ID, VERSION_ID),
/// kernel = <c>/proc/sys/kernel/osrelease</c>, architecture as <c>uname -m</c>, memory in bytes
/// from <c>/proc/meminfo</c>, boot time (ISO 8601 UTC) from <c>/proc/stat</c> btime, uptime in
/// seconds from <c>/proc/uptime</c>, fqdn from a resolver lookup of the host name bounded to
/// one second (null when it fails or adds nothing). One <c>key: value</c> line per fact on stdout.
/// </summary>
internal sealed class HostFactsExecutor(TimeProvider timeProvider) : IOperationExecutor
{
    private static readonly TimeSpan FqdnTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.HostFacts.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var hostname = Environment.MachineName;
        var osRelease = ProcFs.ReadLinesOrEmpty("/etc/os-release")
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1].Trim('"'), StringComparer.Ordinal);
        var uptime = ProcFs.ReadTextOrEmpty("/proc/uptime").Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        var facts = new Facts(
            hostname,
            await FqdnAsync(hostname, cancellationToken).ConfigureAwait(false),
            ProcFs.ReadOsPrettyName(),
            osRelease.GetValueOrDefault("ID"),
            osRelease.GetValueOrDefault("VERSION_ID"),
            ProcFs.ReadKernelRelease(),
            HostFactsReader.UnameMachine(RuntimeInformation.OSArchitecture),
            Environment.ProcessorCount,
            ProcFs.ReadMemInfoBytes("MemTotal") ?? 0,
            ProcFs.ReadBootTime()?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            double.TryParse(uptime, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? (long)seconds : null);

        foreach (var property in typeof(Facts).GetProperties())
        {
            job.Output.Stdout($"{property.Name}: {Convert.ToString(property.GetValue(facts), CultureInfo.InvariantCulture)}");
        }

        return ExecutorResult.Success(facts);
    }

    private async Task<string?> FqdnAsync(string hostname, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(FqdnTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var entry = await Dns.GetHostEntryAsync(hostname, linked.Token).ConfigureAwait(false);
            return entry.HostName.Contains('.', StringComparison.Ordinal) && !string.Equals(entry.HostName, hostname, StringComparison.OrdinalIgnoreCase)
                ? entry.HostName
                : null;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    internal sealed record Facts(
        string Hostname,
        string? Fqdn,
        string Os,
        string? OsId,
        string? OsVersion,
        string Kernel,
        string Architecture,
        int CpuCount,
        long MemoryTotalBytes,
        string? BootTime,
        long? UptimeSeconds);
}
