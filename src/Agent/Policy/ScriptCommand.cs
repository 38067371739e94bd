namespace Ops.Agent.Policy;

/// <summary>A policy script turned into a command line: the program, its argv and the argument values used.</summary>
/// <param name="Program">argv[0] of the template.</param>
/// <param name="Arguments">argv[1..] after substitution.</param>
/// <param name="Values">The effective argument values by name (given or default), for the log and the result.</param>
internal sealed record ScriptCommand(string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Values);
