namespace Ops.Agent.Telemetry;

/// <summary>One line of <c>/proc/self/mounts</c> (fstab(5) format, octal escapes decoded).</summary>
/// <param name="Device">The mounted device or source, e.g. <c>/dev/sda1</c>, <c>overlay</c>.</param>
/// <param name="MountPoint">Where it is mounted, e.g. <c>/</c>.</param>
/// <param name="FileSystemType">The file system type, e.g. <c>ext4</c>.</param>
internal sealed record MountEntry(string Device, string MountPoint, string FileSystemType);
