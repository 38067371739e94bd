namespace Ops.Agent.Redaction;

/// <summary>
/// Removes secrets from text before it leaves the host (DESIGN.md §9): the configured secret
/// values and common credential patterns are replaced by <c>[REDACTED]</c>. Applied centrally to
/// every job's output, result JSON and error, so executors need not call it themselves.
/// </summary>
internal interface IRedactor
{
    /// <summary>Redacts a self-contained text (an error, a result JSON, one line).</summary>
    /// <param name="text">Any text; a private key block without its END line is cut to the end of the text.</param>
    /// <returns>The text with every secret replaced (the same instance when nothing matched).</returns>
    string Redact(string text);

    /// <summary>
    /// Redacts one block of a stream of whole lines, keeping the state of a private key block that
    /// spans blocks: <paramref name="insidePrivateKey"/> is true on return when a BEGIN … PRIVATE KEY
    /// line was seen without its END line; the lines up to END are then dropped from the next blocks.
    /// </summary>
    /// <param name="lines">Whole lines separated by <c>\n</c>.</param>
    /// <param name="insidePrivateKey">The stream's state, kept by the caller per stream.</param>
    /// <returns>The redacted lines; empty when the whole block was inside a private key.</returns>
    string RedactLines(string lines, ref bool insidePrivateKey);
}
