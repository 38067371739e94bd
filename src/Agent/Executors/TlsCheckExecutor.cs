using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>tls.check</c> (seed 004's certificate renewal: "check the certificate after certbot"):
/// connects to <c>host:port</c> (default 443) over TCP, performs a TLS handshake with SNI =
/// <c>serverName</c> (default: host) and inspects the certificate the server presents, even when
/// it does not validate (the handshake is accepted only to read it; no data is exchanged). Besides
/// the system trust store, the CAs of <c>Policy:TrustedCaFiles</c> are trusted. FAILED
/// when the chain or the name does not validate for the server name (RFC 5280 path validation,
/// RFC 6125 name matching, as the OS trust store sees it), when fewer than
/// <c>minDaysRemaining</c> (default 14) whole days remain, or when no certificate can be read
/// within <see cref="Timeout"/>. Result <c>{host, port, serverName, subject, issuer, notBefore,
/// notAfter, daysRemaining, sans, chainValid, errors, ok}</c> (times ISO 8601 UTC; errors: the
/// SslPolicyErrors and chain status names).
/// </summary>
internal sealed class TlsCheckExecutor(IOptions<PolicyOptions> policy, TimeProvider timeProvider) : IOperationExecutor
{
    /// <summary>Default port.</summary>
    public const int DefaultPort = 443;

    /// <summary>Default minimum of remaining days.</summary>
    public const int DefaultMinDaysRemaining = 14;

    /// <summary>Connect + handshake timeout: 15 s.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.TlsCheck.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (TlsCheckParameters)job.Parameters;
        var port = parameters.Port ?? DefaultPort;
        var serverName = parameters.ServerName ?? parameters.Host;
        var minDays = parameters.MinDaysRemaining ?? DefaultMinDaysRemaining;
        X509Certificate2? certificate = null;
        var errors = new List<string>();

        using var timeout = new CancellationTokenSource(Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(parameters.Host, port, linked.Token).ConfigureAwait(false);
            await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = (_, presented, chain, policyErrors) =>
                {
                    if (presented is not null)
                    {
                        certificate = new X509Certificate2(presented);
                    }

                    if ((policyErrors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 && certificate is not null && ValidatesWithExtraRoots(certificate, chain))
                    {
                        policyErrors &= ~SslPolicyErrors.RemoteCertificateChainErrors;
                        chain = null;
                    }

                    if (policyErrors != SslPolicyErrors.None)
                    {
                        errors.AddRange(policyErrors.ToString().Split(", ", StringSplitOptions.RemoveEmptyEntries));
                    }

                    foreach (var status in chain?.ChainStatus ?? [])
                    {
                        if (status.Status != X509ChainStatusFlags.NoError)
                        {
                            errors.Add($"{status.Status}: {status.StatusInformation.Trim()}");
                        }
                    }

                    return true; // inspect, never trust: nothing is sent over this connection
                },
            };
            await ssl.AuthenticateAsClientAsync(options, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            errors.Add($"no TLS handshake with {parameters.Host}:{port} within {Timeout.TotalSeconds} s");
        }
        catch (Exception ex) when (ex is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            errors.Add($"{parameters.Host}:{port}: {ex.Message}");
        }

        if (certificate is null)
        {
            return ExecutorResult.Failure(errors.Count > 0 ? string.Join("; ", errors) : $"{parameters.Host}:{port} presented no certificate");
        }

        using (certificate)
        {
            var now = timeProvider.GetUtcNow().UtcDateTime;
            var notAfter = certificate.NotAfter.ToUniversalTime();
            var days = (int)Math.Floor((notAfter - now).TotalDays);
            var sans = new List<string>();
            foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
            {
                sans.AddRange(extension.EnumerateDnsNames());
                sans.AddRange(extension.EnumerateIPAddresses().Select(a => a.ToString()));
            }

            var chainValid = errors.Count == 0;
            var ok = chainValid && days >= minDays;
            var result = new TlsResult(
                parameters.Host,
                port,
                serverName,
                certificate.Subject,
                certificate.Issuer,
                Iso(certificate.NotBefore.ToUniversalTime()),
                Iso(notAfter),
                days,
                sans,
                chainValid,
                errors,
                ok);
            job.Output.Stdout($"{parameters.Host}:{port} (SNI {serverName}): {certificate.Subject}, issued by {certificate.Issuer}");
            job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"valid {result.NotBefore} to {result.NotAfter} ({days} days left), SANs: {string.Join(", ", sans)}"));
            job.Output.Stdout(chainValid ? "chain: valid" : "chain: INVALID: " + string.Join("; ", errors));
            if (ok)
            {
                return ExecutorResult.Success(result);
            }

            var problems = new List<string>();
            if (!chainValid)
            {
                problems.Add("certificate does not validate: " + string.Join("; ", errors));
            }

            if (days < minDays)
            {
                problems.Add(days < 0
                    ? $"certificate expired {-days} day(s) ago ({result.NotAfter})"
                    : $"certificate expires in {days} day(s) ({result.NotAfter}), below minDaysRemaining {minDays}");
            }

            return ExecutorResult.Failure(string.Join("; ", problems), result);
        }
    }

    /// <summary>Whether the certificate chains up to one of <c>Policy:TrustedCaFiles</c> (custom root trust, no revocation check).</summary>
    private bool ValidatesWithExtraRoots(X509Certificate2 certificate, X509Chain? presentedChain)
    {
        if (policy.Value.TrustedCaFiles is not { Length: > 0 } files)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = timeProvider.GetUtcNow().UtcDateTime;
        foreach (var file in files)
        {
            try
            {
                chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                // An unreadable file trusts nothing.
            }
        }

        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }

    private static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal sealed record TlsResult(
        string Host,
        int Port,
        string ServerName,
        string Subject,
        string Issuer,
        string NotBefore,
        string NotAfter,
        int DaysRemaining,
        IReadOnlyList<string> Sans,
        bool ChainValid,
        IReadOnlyList<string> Errors,
        bool Ok);
}
