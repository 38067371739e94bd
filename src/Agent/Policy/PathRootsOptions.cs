namespace Ops.Agent.Policy;

/// <summary>
/// <c>Policy:Paths</c>: absolute directories under which the file and log kinds may act. Read roots
/// serve <c>logs.tail</c>; write roots serve <c>file.backup</c> and <c>files.prune</c> and are
/// readable too. Roots are resolved (symlinks included) when a path is checked.
/// </summary>
internal sealed record PathRootsOptions
{
    /// <summary>Directories that may be read (<c>logs.tail</c>), e.g. <c>/var/log/myapp</c>.</summary>
    public string[]? Read { get; set; }

    /// <summary>Directories that may be written (<c>file.backup</c>, <c>files.prune</c>) and read, e.g. <c>/etc/myapp</c>.</summary>
    public string[]? Write { get; set; }
}
