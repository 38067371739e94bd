using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>file.backup</c>: copy a file to <c>&lt;path&gt;.backup-YYYYMMDD-HHMMSS</c>
/// before touching it — seed 002's "never touch a file without a backup". The result names the
/// copy with its size and SHA-256.
/// </summary>
public sealed record FileBackupParameters(
    [property: Description("Absolute path of the file to copy, under the agent's allowed paths.")]
    string Path);
