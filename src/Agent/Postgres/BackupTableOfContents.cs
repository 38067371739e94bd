using System.Globalization;
using System.Text;
using Ops.Agent.Execution;
using Ops.Agent.Executors;

namespace Ops.Agent.Postgres;

/// <summary>
/// The table of contents of a custom-format backup, as printed by <c>pg_restore -l -v</c>
/// (<c>217; 1259 16389 TABLE s a postgres</c> followed by <c>;	depends on: 6</c>), and the
/// selection of the entries that restore a list of tables: each table's definition and data, and
/// everything attached to it (sequences, defaults, constraints, indexes, triggers, foreign keys
/// from or to it), found by following the dependencies. Written with <c>-L</c>, the selection
/// restores exactly those tables: seed 000's "Restaurer seulement certaines tables", without
/// <c>grep</c> on SQL text.
/// </summary>
internal sealed class BackupTableOfContents
{
    private static readonly string[] Descriptions =
    [
        "SEQUENCE OWNED BY", "SEQUENCE SET", "FK CONSTRAINT", "CHECK CONSTRAINT", "TABLE DATA", "INDEX ATTACH", "ROW SECURITY",
        "MATERIALIZED VIEW DATA", "MATERIALIZED VIEW", "TABLE", "SEQUENCE", "DEFAULT", "CONSTRAINT", "INDEX", "TRIGGER", "COMMENT", "ACL",
        "POLICY", "STATISTICS", "RULE", "VIEW", "SCHEMA", "FUNCTION", "EXTENSION", "TYPE", "DOMAIN",
    ];

    private static readonly HashSet<string> Attached = new(StringComparer.Ordinal)
    {
        "TABLE DATA", "SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET", "DEFAULT", "CONSTRAINT", "CHECK CONSTRAINT", "FK CONSTRAINT",
        "INDEX", "INDEX ATTACH", "TRIGGER", "COMMENT", "ACL", "POLICY", "ROW SECURITY", "STATISTICS",
    };

    private readonly List<Entry> _entries;

    private BackupTableOfContents(List<Entry> entries) => _entries = entries;

    /// <summary>The tables defined in the backup, as <c>schema.table</c>.</summary>
    public IEnumerable<string> Tables => _entries.Where(e => e.Description == "TABLE").Select(e => e.Schema + "." + e.Name);

    /// <summary>Runs <c>pg_restore -l -v &lt;file&gt;</c> and parses its listing.</summary>
    /// <exception cref="BackupRefusedException">pg_restore cannot read the file (its messages are in the output).</exception>
    public static async Task<BackupTableOfContents> ReadAsync(
        IProcessRunner runner, string binDirectory, string path, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        using var listing = new MemoryStream();
        var result = await runner.RunAsync(
            new ProcessSpec(Path.Combine(binDirectory, "pg_restore"), ["--list", "--verbose", path]) { StandardOutputTarget = listing },
            output,
            cancellationToken);
        return result.ExitCode == 0
            ? Parse(Encoding.UTF8.GetString(listing.GetBuffer(), 0, (int)listing.Length))
            : throw new BackupRefusedException($"pg_restore cannot read '{Path.GetFileName(path)}' (exit {result.ExitCode.ToString(CultureInfo.InvariantCulture)}).");
    }

    /// <summary>Parses <c>pg_restore -l -v</c> output.</summary>
    public static BackupTableOfContents Parse(string listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var entries = new List<Entry>();
        foreach (var raw in listing.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(";\tdepends on:", StringComparison.Ordinal) && entries.Count > 0)
            {
                foreach (var id in line[";\tdepends on:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var dependency))
                    {
                        entries[^1].Dependencies.Add(dependency);
                    }
                }

                continue;
            }

            var semicolon = line.IndexOf(';', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == ';' || semicolon <= 0
                || !int.TryParse(line.AsSpan(0, semicolon), NumberStyles.None, CultureInfo.InvariantCulture, out var entryId))
            {
                continue;
            }

            // "<id>; <catalog oid> <oid> <description> <schema> <tag…> <owner>"
            var fields = line[(semicolon + 1)..].TrimStart().Split(' ', 3);
            if (fields.Length < 3)
            {
                continue;
            }

            var rest = fields[2];
            var description = Descriptions.FirstOrDefault(d => rest.StartsWith(d + " ", StringComparison.Ordinal)) ?? rest.Split(' ')[0];
            var words = rest[description.Length..].Trim().Split(' ');
            entries.Add(new Entry(entryId, line, description, words.Length > 0 ? words[0] : string.Empty, words.Length > 1 ? words[1] : string.Empty, []));
        }

        return new BackupTableOfContents(entries);
    }

    /// <summary>
    /// The <c>-L</c> list restoring <paramref name="tables"/> (<c>schema.table</c>, or a bare name
    /// matching any schema) and what is attached to them.
    /// </summary>
    /// <exception cref="BackupRefusedException">A table is not in the backup.</exception>
    public string SelectTables(IReadOnlyList<string> tables, string fileName)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var selected = new HashSet<int>();
        foreach (var table in tables)
        {
            var (schema, name) = PostgresIdentifiers.Split(table);
            var matches = _entries.Where(e => e.Description == "TABLE" && e.Name == name && (schema is null || e.Schema == schema)).ToList();
            if (matches.Count == 0)
            {
                throw new BackupRefusedException($"table '{table}' is not in backup '{fileName}'.");
            }

            selected.UnionWith(matches.Select(m => m.Id));
        }

        bool grew;
        do
        {
            grew = false;
            foreach (var entry in _entries)
            {
                if (!selected.Contains(entry.Id) && Attached.Contains(entry.Description) && entry.Dependencies.Overlaps(selected))
                {
                    selected.Add(entry.Id);
                    grew = true;
                }
            }
        }
        while (grew);

        return string.Join('\n', _entries.Where(e => selected.Contains(e.Id)).Select(e => e.Line)) + "\n";
    }

    private sealed record Entry(int Id, string Line, string Description, string Schema, string Name, HashSet<int> Dependencies);
}
