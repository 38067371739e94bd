using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Grpc.Core;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// The agent gRPC endpoint under TLS by configuration (DESIGN.md §3, §8): Kestrel endpoints with a
/// PEM certificate, HTTP/2 negotiated by ALPN, our client trusting that certificate.
/// </summary>
public sealed class TlsGrpcTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ops-tls-{Guid.NewGuid():N}"[..20]);
    private TlsFactory _factory = null!;
    private X509Certificate2 _certificate = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(_dir, "cert.pem"), _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        _factory = new TlsFactory(_dir);
        await _factory.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_factory).DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Enroll_OverTlsWithAlpn_Works()
    {
        var admin = _factory.CreateClient(Roles.Admin);
        var token = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("token").GetString()!;
        var thumbprint = _certificate.Thumbprint;
        using var client = new AgentClient(
            new Uri($"https://127.0.0.1:{_factory.TlsPort}"),
            certificates: (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == thumbprint);

        var enrolled = await client.EnrollAsync(new EnrollRequest { EnrollmentToken = token, Hostname = "tls-host" });
        client.AgentToken = enrolled.AgentToken;
        var pull = await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 });

        Assert.StartsWith("opsagt_", enrolled.AgentToken, StringComparison.Ordinal);
        Assert.Empty(pull.Jobs);
    }

    private sealed class TlsFactory : OpsApiFactory
    {
        public TlsFactory(string dir)
        {
            Settings["Kestrel:Endpoints:Rest:Url"] = $"http://127.0.0.1:{RestPort}";
            Settings["Kestrel:Endpoints:Rest:Protocols"] = "Http1";
            Settings["Kestrel:Endpoints:Agents:Url"] = $"https://127.0.0.1:{TlsPort}";
            Settings["Kestrel:Endpoints:Agents:Protocols"] = "Http2";
            Settings["Kestrel:Endpoints:Agents:Certificate:Path"] = Path.Combine(dir, "cert.pem");
            Settings["Kestrel:Endpoints:Agents:Certificate:KeyPath"] = Path.Combine(dir, "key.pem");
            UseKestrel();
        }

        public int RestPort { get; } = LoopbackPorts.Free();

        public int TlsPort { get; } = LoopbackPorts.Free();

        protected override Uri? RestBaseAddress => new($"http://127.0.0.1:{RestPort}");

        protected override void StartHost() => StartServer();
    }
}
