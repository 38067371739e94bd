using Ops.Agent.Archives;

namespace Ops.Agent.Tests.Executors;

/// <summary>files.archive's exclude globs: * and ? within a name, ** across folders, name-only globs at any depth.</summary>
public sealed class ExcludeGlobsTests
{
    [Theory]
    [InlineData("*.log", "app.log", true)]
    [InlineData("*.log", "logs/deep/app.log", true)]
    [InlineData("*.log", "app.log.1", false)]
    [InlineData("cache/**", "cache/a/b.bin", true)]
    [InlineData("cache/**", "cache", false)]
    [InlineData("cache", "cache", true)]
    [InlineData("cache", "sub/cache", true)]
    [InlineData("sub/cache", "cache", false)]
    [InlineData("**/*.tmp", "x.tmp", true)]
    [InlineData("**/*.tmp", "a/b/x.tmp", true)]
    [InlineData("?.env", "a.env", true)]
    [InlineData("?.env", "ab.env", false)]
    [InlineData("data/*.csv", "data/x/y.csv", false)]
    [InlineData("[ab].txt", "a.txt", false)] // no character classes: brackets are literal
    [InlineData("[ab].txt", "[ab].txt", true)]
    public void Excludes_MatchesLikeTarExclude(string glob, string relativePath, bool excluded) =>
        Assert.Equal(excluded, new ExcludeGlobs([glob]).Excludes(relativePath));
}
