using System.Text;

namespace Ops.Agent.Tests.Services;

/// <summary>
/// Stand-in <c>docker</c> and <c>systemctl</c> executables in a temporary folder (no Docker engine or
/// systemd here). Each call appends its argv to <c>&lt;tool&gt;.calls</c>, one argument per line and
/// <c>&lt;end&gt;</c> after the call, then prints the canned reply chosen by its verb (<c>ps</c>,
/// <c>ls</c>, <c>restart</c>/<c>update</c>, <c>show</c>): <c>&lt;verb&gt;.out</c> to stdout,
/// <c>&lt;verb&gt;.err</c> to stderr, exit code from <c>&lt;verb&gt;.code</c> (default 0).
/// The folder is meant to go first on the tools' PATH (Policy:Services:SearchPath), never on the test process's.
/// </summary>
internal sealed class StandInTools : IDisposable
{
    private const string Script = """
        #!/bin/bash
        d="$(cd "$(dirname "$0")" && pwd)"
        tool="$(basename "$0")"
        { for a in "$@"; do printf '%s\n' "$a"; done; echo '<end>'; } >> "$d/$tool.calls"
        verb=other
        case " $* " in
          *" ps "*) verb=ps ;;
          *" ls "*) verb=ls ;;
          *" restart "*|*" update "*) verb=restart ;;
          *" show "*) verb=show ;;
        esac
        [ -f "$d/$verb.out" ] && cat "$d/$verb.out"
        [ -f "$d/$verb.err" ] && cat "$d/$verb.err" >&2
        exit "$(cat "$d/$verb.code" 2>/dev/null || echo 0)"
        """;

    public StandInTools()
    {
        Directory.CreateDirectory(Folder);
        foreach (var tool in new[] { "docker", "systemctl" })
        {
            var path = Path.Combine(Folder, tool);
            File.WriteAllText(path, Script.ReplaceLineEndings("\n") + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "ops-standin-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>PATH for the tools: the stand-ins first, then the system folders (bash, cat).</summary>
    public string SearchPath => Folder + ":/usr/local/bin:/usr/bin:/bin";

    public void Reply(string verb, string stdout, int exitCode = 0, string? stderr = null)
    {
        File.WriteAllText(Path.Combine(Folder, verb + ".out"), stdout, new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(Folder, verb + ".code"), exitCode.ToString());
        if (stderr is not null)
        {
            File.WriteAllText(Path.Combine(Folder, verb + ".err"), stderr);
        }
    }

    /// <summary>Every call of <paramref name="tool"/>, each as its argv (without the program name).</summary>
    public List<string[]> Calls(string tool)
    {
        var path = Path.Combine(Folder, tool + ".calls");
        if (!File.Exists(path))
        {
            return [];
        }

        var calls = new List<string[]>();
        var current = new List<string>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line == "<end>")
            {
                calls.Add([.. current]);
                current.Clear();
            }
            else
            {
                current.Add(line);
            }
        }

        return calls;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
