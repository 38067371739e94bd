using Ops.Agent.Telemetry;

namespace Ops.Agent.Tests.Telemetry;

public sealed class MountTableTests
{
    [Theory]
    [InlineData(@"/mnt/my\040disk", "/mnt/my disk")]
    [InlineData(@"/plain", "/plain")]
    [InlineData(@"/tab\011x", "/tab\tx")]
    [InlineData(@"/end\04", @"/end\04")]
    public void Unescape_DecodesOctalEscapes(string field, string expected) => Assert.Equal(expected, MountTable.Unescape(field));

    [Theory]
    [InlineData("/var/lib/postgresql/data", "/var/lib/postgresql")]
    [InlineData("/var/lib/postgresql", "/var/lib/postgresql")]
    [InlineData("/var/lib/postgres", "/")]
    [InlineData("/home/user", "/home")]
    public void FindMountOf_ReturnsTheLongestPrefixMount(string path, string expected)
    {
        MountEntry[] mounts =
        [
            new("/dev/sda1", "/", "ext4"),
            new("/dev/sdb1", "/var/lib/postgresql", "xfs"),
            new("/dev/sdc1", "/home", "ext4"),
        ];

        Assert.Equal(expected, MountTable.FindMountOf(path, mounts)!.MountPoint);
    }

    [Fact]
    public void ReadRealFileSystems_SkipsPseudoFileSystemsAndIncludesRoot()
    {
        var real = MountTable.ReadRealFileSystems();

        Assert.Contains(real, r => r.Mount.MountPoint == "/");
        Assert.DoesNotContain(real, r => MountTable.PseudoFileSystems.Contains(r.Mount.FileSystemType));
    }
}
