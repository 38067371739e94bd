using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Executors;
using Ops.Agent.Policy;
using Ops.Agent.Tests.TestSupport;
using Ops.Contracts.Json;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Executors;

/// <summary>tls.check against a real TLS listener (http.check: <see cref="HttpCheckTests"/>).</summary>
public sealed class NetworkKindsTests
{
    private readonly RecordingOutput output = new();
    [Fact]
    public async Task TlsCheck_SelfSignedCertificate_IsCapturedButFailsValidation()
    {
        using var ca = CreateCa();
        using var leaf = CreateLeaf(ca, "svc.test", TimeSpan.FromDays(60));
        await using var server = TlsServer.Start(leaf);
        var executor = new TlsCheckExecutor(Options.Create(new PolicyOptions()), TimeProvider.System);

        var result = await Run(executor, new TlsCheckParameters("127.0.0.1", server.Port, "svc.test"));

        Assert.False(result.Succeeded);
        Assert.StartsWith("certificate does not validate: RemoteCertificateChainErrors", result.Error, StringComparison.Ordinal);
        using var json = Json(result);
        Assert.Equal("CN=svc.test", json.RootElement.GetProperty("subject").GetString());
        Assert.Equal("CN=Ops Test CA", json.RootElement.GetProperty("issuer").GetString());
        Assert.InRange(json.RootElement.GetProperty("daysRemaining").GetInt32(), 58, 60);
        Assert.Equal(["svc.test", "127.0.0.1"], json.RootElement.GetProperty("sans").EnumerateArray().Select(e => e.GetString()));
        Assert.False(json.RootElement.GetProperty("chainValid").GetBoolean());
    }

    [Fact]
    public async Task TlsCheck_TrustedCa_Succeeds_ExpiringSoonFails_WrongNameFails()
    {
        using var ca = CreateCa();
        var caFile = Path.Combine(Path.GetTempPath(), $"ops-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());
        try
        {
            var executor = new TlsCheckExecutor(Options.Create(new PolicyOptions { TrustedCaFiles = [caFile] }), TimeProvider.System);
            using var leaf = CreateLeaf(ca, "svc.test", TimeSpan.FromDays(60));
            await using (var server = TlsServer.Start(leaf))
            {
                var ok = await Run(executor, new TlsCheckParameters("127.0.0.1", server.Port, "svc.test"));
                Assert.True(ok.Succeeded, ok.Error);
                var wrongName = await Run(executor, new TlsCheckParameters("127.0.0.1", server.Port, "other.test"));
                Assert.Equal("certificate does not validate: RemoteCertificateNameMismatch", wrongName.Error);
            }

            using var expiring = CreateLeaf(ca, "svc.test", TimeSpan.FromDays(5));
            await using (var server = TlsServer.Start(expiring))
            {
                var soon = await Run(executor, new TlsCheckParameters("127.0.0.1", server.Port, "svc.test", MinDaysRemaining: 14));
                Assert.Contains("below minDaysRemaining 14", soon.Error, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Fact]
    public async Task TlsCheck_NoServer_Fails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await Run(new TlsCheckExecutor(Options.Create(new PolicyOptions()), TimeProvider.System), new TlsCheckParameters("127.0.0.1", port));

        Assert.False(result.Succeeded);
        Assert.Contains($"127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }

    private static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Ops Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 CreateLeaf(X509Certificate2 ca, string name, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName(name);
        sans.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(sans.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.Add(validity), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    private static JsonDocument Json(ExecutorResult result) => JsonDocument.Parse(JsonSerializer.Serialize(result.Result, result.Result!.GetType(), OpsJson.Default));

    private Task<ExecutorResult> Run(IOperationExecutor executor, object parameters) =>
        executor.ExecuteAsync(new JobContext("job-1", "op-1", executor.Kind, 1, parameters, output, null), CancellationToken.None);

    /// <summary>A TLS server presenting <c>certificate</c> to every client (handshake only).</summary>
    private sealed class TlsServer : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private Task loop = Task.CompletedTask;

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public static TlsServer Start(X509Certificate2 certificate)
        {
            var server = new TlsServer();
            server.listener.Start();
            server.loop = Task.Run(async () =>
            {
                while (!server.stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await server.listener.AcceptTcpClientAsync(server.stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    _ = Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await using var ssl = new SslStream(client.GetStream());
                                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
                                _ = await ssl.ReadAsync(new byte[1]);
                            }
                            catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
                            {
                                // The checker closes the connection after the handshake.
                            }
                        }
                    });
                }
            });
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            await loop;
            stop.Dispose();
        }
    }
}
