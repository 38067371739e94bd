using System.Runtime.InteropServices;

namespace Ops.Agent.Telemetry;

/// <summary>
/// <c>statvfs(3)</c> from glibc/musl through P/Invoke (<c>DriveInfo</c> reports the same numbers
/// but not per arbitrary path with the device and file system type the agent needs). Layout of
/// <c>struct statvfs</c> on 64-bit Linux: eleven <c>unsigned long</c>-sized fields then
/// <c>int __f_spare[6]</c>: 112 bytes.
/// </summary>
internal static partial class StatVfs
{
    /// <summary>Queries the file system holding <paramref name="path"/>.</summary>
    /// <param name="path">Any existing path.</param>
    /// <param name="errno">The error number when the call fails (e.g. 2 = ENOENT, 13 = EACCES).</param>
    /// <returns>The usage, or null when the call failed.</returns>
    public static Usage? TryQuery(string path, out int errno)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (statvfs(path, out var buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        var fragment = buffer.FragmentSize != 0 ? buffer.FragmentSize : buffer.BlockSize;
        var total = buffer.Blocks * fragment;
        var available = buffer.BlocksAvailable * fragment;
        var used = (buffer.Blocks - Math.Min(buffer.Blocks, buffer.BlocksFree)) * fragment;
        return new Usage((long)total, (long)available, (long)used, buffer.FileSystemId);
    }

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statvfs(string path, out StatVfsBuffer buffer);

    /// <summary>
    /// Sizes of one file system in bytes, as <c>df</c> computes them: total = f_blocks·f_frsize,
    /// free = f_bavail·f_frsize (available to unprivileged users), used = (f_blocks − f_bfree)·f_frsize.
    /// </summary>
    /// <param name="TotalBytes">Size of the file system.</param>
    /// <param name="FreeBytes">Space available to unprivileged users.</param>
    /// <param name="UsedBytes">Space in use (reserved blocks excluded).</param>
    /// <param name="FileSystemId">f_fsid: identifies the file system across bind mounts.</param>
    internal readonly record struct Usage(long TotalBytes, long FreeBytes, long UsedBytes, ulong FileSystemId);

    [StructLayout(LayoutKind.Sequential, Size = 112)]
    private struct StatVfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
        public ulong FilesAvailable;
        public ulong FileSystemId;
        public ulong Flags;
        public ulong NameMax;
    }
}
