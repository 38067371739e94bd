using System.ComponentModel;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>tls.check</c>: the certificate a TLS server presents, its validity and days
/// remaining (seed 004's certificate renewal). Fails below <paramref name="MinDaysRemaining"/>
/// or when the chain does not validate for the server name.
/// </summary>
public sealed record TlsCheckParameters(
    [property: Description("Host name or IP address to connect to (no scheme).")]
    string Host,
    [property: Description("TCP port (default 443).")]
    int? Port = null,
    [property: Description("SNI and the name the certificate must match (default: host).")]
    string? ServerName = null,
    [property: Description("Fail when the certificate expires in fewer days than this (default 14).")]
    int? MinDaysRemaining = null);
