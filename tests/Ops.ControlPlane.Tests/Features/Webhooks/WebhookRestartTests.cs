using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>
/// The outbox across control-plane crashes: an event committed while no control plane runs is
/// delivered when one starts; a control plane killed with SIGKILL in the middle of a delivery
/// leaves it to the next one, which sends it once more with the same <c>webhook-id</c>.
/// </summary>
public sealed class WebhookRestartTests : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await TestCluster.CreateDatabaseAsync("webhook_restart");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Event_CommittedWhileNoControlPlaneRuns_IsDeliveredOnceWhenOneStarts()
    {
        using var receiver = new HoldingReceiver(holdFirst: false);
        await using (var first = new WebhookApiFactory { SharedConnectionString = _connectionString })
        {
            await first.InitializeAsync();
            var created = await first.CreateClient(Roles.Admin).PutAsJsonAsync("/api/v1/webhooks/later", new { url = receiver.Url, events = new[] { "operation.failed" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // The state change commits while the control plane is down (after a crash, before a restart).
        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            await connection.OpenAsync();
            await using var emit = new NpgsqlCommand("SELECT emit_event('operation.failed', 'operation', 'o-down', '{\"id\": \"o-down\"}')", connection);
            await emit.ExecuteScalarAsync();
        }

        Assert.Empty(receiver.Requests);
        await using var second = new WebhookApiFactory { SharedConnectionString = _connectionString };
        await second.InitializeAsync();
        await Wait.UntilAsync(async () => await second.QueryScalarAsync<string>("SELECT status FROM webhook_deliveries WHERE webhook_name = 'later'") == "succeeded", "the delivery after the restart");
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task ControlPlane_KilledDuringADelivery_LeavesItToTheNextWhichSendsItOnceMore()
    {
        using var receiver = new HoldingReceiver(holdFirst: true);
        var dll = Path.Combine(AppContext.BaseDirectory, "Ops.ControlPlane.dll");
        var home = Path.Combine(Path.GetTempPath(), $"ops-home-{Guid.NewGuid():N}");
        var port = LoopbackPorts.Free();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        info.ArgumentList.Add(dll);
        info.Environment["OPS_HOME"] = home;
        info.Environment["OPS_HTTP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["OPS_GRPC_PORT"] = LoopbackPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["ConnectionStrings__Ops"] = _connectionString;
        info.Environment["Auth__SigningKey"] = OpsApiFactory.SigningKey;
        info.Environment["Webhooks__AllowPrivateNetworks"] = "true";
        info.Environment["Webhooks__SecretKey"] = WebhookApiFactory.SecretKey;
        info.Environment["Webhooks__RequestTimeout"] = "00:00:30";
        info.Environment["Webhooks__LeaseDuration"] = "00:00:35";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Wait.UntilAsync(async () =>
            {
                Assert.False(process.HasExited, "the control plane exited during start-up");
                try
                {
                    return (await client.GetAsync("/health/ready")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the control plane to be ready", TimeSpan.FromMinutes(2));
            var issuer = new TokenIssuer(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(OpsApiFactory.SigningKey)), new AuthOptions(), TimeProvider.System);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issuer.Mint("tester", Roles.Admin, TimeSpan.FromHours(1)));
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsJsonAsync("/api/v1/webhooks/crash", new { url = receiver.Url, events = new[] { "operation.failed" } })).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/webhooks/crash/test", null)).StatusCode);
            await Wait.UntilAsync(() => !receiver.Requests.IsEmpty, "the first attempt to reach the receiver");

            process.Kill(); // SIGKILL in the middle of the request: the outcome is never recorded.
            await process.WaitForExitAsync();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // The lease of the dead replica is what makes the next one wait; shorten it as if its time had passed.
        await using (var connection = new NpgsqlConnection(_connectionString))
        {
            await connection.OpenAsync();
            await using var check = new NpgsqlCommand("SELECT status || ':' || attempts || ':' || (locked_until IS NOT NULL) FROM webhook_deliveries WHERE webhook_name = 'crash'", connection);
            Assert.Equal("pending:1:true", await check.ExecuteScalarAsync());
            await using var expire = new NpgsqlCommand("UPDATE webhook_deliveries SET locked_until = now() + interval '1 second' WHERE webhook_name = 'crash'", connection);
            await expire.ExecuteNonQueryAsync();
        }

        await using var next = new WebhookApiFactory { SharedConnectionString = _connectionString };
        await next.InitializeAsync();
        await Wait.UntilAsync(async () => await next.QueryScalarAsync<string>("SELECT status FROM webhook_deliveries WHERE webhook_name = 'crash'") == "succeeded", "the delivery by the next control plane");
        var requests = receiver.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(requests[0].WebhookId, requests[1].WebhookId);
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Equal(2, await next.QueryScalarAsync<int>("SELECT attempts FROM webhook_deliveries WHERE webhook_name = 'crash'"));
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A plain HTTP receiver on loopback that can leave its first request unanswered (the sender dies meanwhile).</summary>
    private sealed class HoldingReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly bool _holdFirst;
        private int _count;

        public HoldingReceiver(bool holdFirst)
        {
            _holdFirst = holdFirst;
            var port = LoopbackPorts.Free();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<(string WebhookId, string Body)> Requests { get; } = new();

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream);
                Requests.Enqueue((context.Request.Headers["webhook-id"] ?? "", await reader.ReadToEndAsync()));
                if (_holdFirst && Interlocked.Increment(ref _count) == 1)
                {
                    continue; // never answered
                }

                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }
}
