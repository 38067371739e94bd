using Microsoft.Extensions.Options;
using Ops.Agent.Policy;

namespace Ops.Agent.Tests.Policy;

public sealed class PathPolicyTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("ops-paths-").FullName;
    private readonly PathPolicy policy;

    public PathPolicyTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "secret"));
        File.WriteAllText(Path.Combine(root, "logs", "app.log"), "x");
        File.WriteAllText(Path.Combine(root, "secret", "key"), "k");
        policy = new PathPolicy(Options.Create(new PolicyOptions
        {
            Paths = new PathRootsOptions { Read = [Path.Combine(root, "logs")], Write = [Path.Combine(root, "etc")] },
        }));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Read_UnderARoot_IsAllowed_AndWriteRootsAreReadable()
    {
        Assert.True(policy.TryResolveRead(Path.Combine(root, "logs", "app.log"), out var resolved, out _));
        Assert.Equal(Path.Combine(root, "logs", "app.log"), resolved);
        Assert.True(policy.TryResolveRead(Path.Combine(root, "etc", "new.yml"), out _, out _));
    }

    [Fact]
    public void Write_UnderAReadRootOnly_IsRefused()
    {
        Assert.False(policy.TryResolveWrite(Path.Combine(root, "logs", "app.log"), out _, out var error));
        Assert.Contains("outside the allowed write paths", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PathOutsideTheRoots_IsRefused()
    {
        Assert.False(policy.TryResolveRead("/etc/passwd", out var resolved, out var error));
        Assert.Equal(string.Empty, resolved);
        Assert.Equal($"path '/etc/passwd' is outside the allowed read paths ({root}/logs, {root}/etc)", error);
    }

    [Fact]
    public void DotDotTraversal_IsResolvedBeforeTheCheck()
    {
        var sneaky = Path.Combine(root, "logs", "..", "secret", "key");

        Assert.False(policy.TryResolveRead(sneaky, out _, out var error));
        Assert.Contains($"resolves to '{root}/secret/key'", error, StringComparison.Ordinal);
        Assert.True(policy.TryResolveRead(Path.Combine(root, "secret", "..", "logs", "app.log"), out var resolved, out _));
        Assert.Equal(Path.Combine(root, "logs", "app.log"), resolved);
    }

    [Fact]
    public void SymlinkEscapingTheRoot_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(root, "logs", "escape.log"), Path.Combine(root, "secret", "key"));
        Directory.CreateSymbolicLink(Path.Combine(root, "logs", "dir"), "../secret");

        Assert.False(policy.TryResolveRead(Path.Combine(root, "logs", "escape.log"), out _, out var error));
        Assert.Contains("through a symbolic link", error, StringComparison.Ordinal);
        Assert.False(policy.TryResolveRead(Path.Combine(root, "logs", "dir", "key"), out _, out error));
        Assert.Contains($"resolves to '{root}/secret/key' through a symbolic link", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SymlinkInsideTheRoot_IsAllowed_AsItsTarget()
    {
        File.CreateSymbolicLink(Path.Combine(root, "logs", "current.log"), "app.log");

        Assert.True(policy.TryResolveRead(Path.Combine(root, "logs", "current.log"), out var resolved, out _));
        Assert.Equal(Path.Combine(root, "logs", "app.log"), resolved);
    }

    [Fact]
    public void SymlinkLoop_AndRelativePaths_AreRefused()
    {
        File.CreateSymbolicLink(Path.Combine(root, "logs", "a"), "b");
        File.CreateSymbolicLink(Path.Combine(root, "logs", "b"), "a");

        Assert.False(policy.TryResolveRead(Path.Combine(root, "logs", "a"), out _, out var error));
        Assert.Contains("too many levels of symbolic links", error, StringComparison.Ordinal);
        Assert.False(policy.TryResolveRead("logs/app.log", out _, out error));
        Assert.Contains("must be absolute", error, StringComparison.Ordinal);
    }

    [Fact]
    public void NoRootsConfigured_RefusesEverything()
    {
        var empty = new PathPolicy(Options.Create(new PolicyOptions()));

        Assert.False(empty.TryResolveWrite("/tmp/x", out _, out var error));
        Assert.Contains("allows no write paths (Policy:Paths:Write)", error, StringComparison.Ordinal);
    }
}
