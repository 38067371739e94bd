using System.Text.Json;
using Ops.Agent.Policy;

namespace Ops.Agent.Tests.Policy;

public sealed class ScriptCommandBuilderTests
{
    private static readonly ScriptPolicy Pipeline = new()
    {
        Argv = ["/opt/app/run_pipeline.sh", "--format", "{format}", "--days", "{days}", "{debug}", "--tag", "{tag}"],
        Arguments = new(StringComparer.Ordinal)
        {
            ["format"] = new() { Type = "enum", Values = ["modern", "standard", "all"], Required = true },
            ["days"] = new() { Type = "integer", Min = 1, Max = 30, Default = "1" },
            ["debug"] = new() { Type = "flag", Flag = "--debug" },
            ["tag"] = new() { Type = "pattern", Pattern = "^[a-z0-9-]{1,32}$" },
        },
    };

    [Fact]
    public void TypedArguments_BecomeArgvEntries_DefaultsApply_AbsentOptionsDisappear()
    {
        Assert.True(Build("""{"format": "modern"}""", out var command, out var error), error);

        Assert.Equal("/opt/app/run_pipeline.sh", command!.Program);
        Assert.Equal(["--format", "modern", "--days", "1"], command.Arguments);
    }

    [Fact]
    public void AllArguments_IncludingATrueFlag()
    {
        Assert.True(Build("""{"format": "all", "days": 30, "debug": true, "tag": "run-7"}""", out var command, out var error), error);

        Assert.Equal(["--format", "all", "--days", "30", "--debug", "--tag", "run-7"], command!.Arguments);
        Assert.True(Build("""{"format": "all", "days": "2", "debug": false}""", out command, out _));
        Assert.Equal(["--format", "all", "--days", "2"], command!.Arguments);
    }

    [Theory]
    [InlineData("""{"format": "vintage"}""", "argument 'format' must be one of modern, standard, all (was 'vintage')")]
    [InlineData("""{"format": "modern", "days": 31}""", "argument 'days' must be an integer between 1 and 30 (was '31')")]
    [InlineData("""{"format": "modern", "days": 0}""", "argument 'days' must be an integer between 1 and 30 (was '0')")]
    [InlineData("""{"format": "modern", "days": 2.5}""", "argument 'days' must be an integer between 1 and 30 (was 2.5)")]
    [InlineData("""{"format": "modern", "days": "3; rm -rf /"}""", "argument 'days' must be an integer between 1 and 30 (was '3; rm -rf /')")]
    [InlineData("""{"format": "modern", "debug": "yes"}""", "argument 'debug' must be true or false (was 'yes')")]
    [InlineData("""{"format": "modern", "tag": "$(reboot)"}""", "argument 'tag' must be a string matching ^[a-z0-9-]{1,32}$ (was '$(reboot)')")]
    [InlineData("""{"days": 3}""", "argument 'format' is required")]
    [InlineData("""{"format": "modern", "user": "root"}""", "script 'demo.pipeline' has no argument 'user' (known: days, debug, format, tag)")]
    public void InvalidArguments_AreRefusedWithAClearError(string json, string expected)
    {
        Assert.False(Build(json, out var command, out var error));
        Assert.Null(command);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Validator_ReportsPolicyMistakesWithTheirKeys()
    {
        var options = new PolicyOptions
        {
            Paths = new PathRootsOptions { Read = ["relative/logs"] },
            Scripts = new(StringComparer.Ordinal)
            {
                ["bad"] = new()
                {
                    Argv = ["/bin/echo", "{missing}", "--x={days}"],
                    WorkingDirectory = "tmp",
                    Arguments = new(StringComparer.Ordinal)
                    {
                        ["days"] = new() { Type = "integer", Min = 5, Max = 1 },
                        ["level"] = new() { Type = "enum" },
                        ["debug"] = new() { Type = "flag" },
                        ["re"] = new() { Type = "pattern", Pattern = "(" },
                        ["what"] = new() { Type = "float" },
                        ["mode"] = new() { Type = "enum", Values = ["a"], Default = "b" },
                    },
                },
            },
        };

        var failures = new PolicyOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains("Policy:Paths:Read: 'relative/logs' must be an absolute path.", failures);
        Assert.Contains("Policy:Scripts:bad:Argv:1: '{missing}' names no declared argument.", failures);
        Assert.Contains(failures, f => f.StartsWith("Policy:Scripts:bad:Argv:2: '--x={days}': a placeholder must be a whole argv element", StringComparison.Ordinal));
        Assert.Contains("Policy:Scripts:bad:WorkingDirectory 'tmp' must be an absolute path.", failures);
        Assert.Contains("Policy:Scripts:bad:Arguments:days: Min 5 is greater than Max 1.", failures);
        Assert.Contains("Policy:Scripts:bad:Arguments:level: an enum needs Values.", failures);
        Assert.Contains(failures, f => f.StartsWith("Policy:Scripts:bad:Arguments:debug: a flag needs Flag", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Policy:Scripts:bad:Arguments:re: Pattern is not a valid regular expression", StringComparison.Ordinal));
        Assert.Contains("Policy:Scripts:bad:Arguments:what: Type 'float' is not one of enum, integer, flag, pattern.", failures);
        Assert.Contains(failures, f => f.StartsWith("Policy:Scripts:bad:Arguments:mode: Default 'b' is invalid", StringComparison.Ordinal));
    }

    private static bool Build(string json, out ScriptCommand? command, out string error)
    {
        var arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;
        return ScriptCommandBuilder.TryBuild("demo.pipeline", Pipeline, arguments, out command, out error);
    }
}
