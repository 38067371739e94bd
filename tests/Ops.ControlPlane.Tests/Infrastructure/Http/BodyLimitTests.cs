using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Http;

/// <summary>
/// A REST body over 1 MiB is 413 with one problem-details shape (<c>errors.body</c>), whether its
/// size is declared by <c>Content-Length</c> or it is sent chunked (issue 16 item 8), on real
/// Kestrel sockets.
/// </summary>
public sealed class BodyLimitTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    private static string Oversized() =>
        "{\"kind\":\"agent.ping\",\"target\":{\"all\":true},\"parameters\":{\"pad\":\"" + new string('x', 2 * 1024 * 1024) + "\"}}";

    /// <summary>A stream without a known length: HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task Post_WithOversizedBody_Is413WithTheSameProblemWhetherDeclaredOrChunked()
    {
        var client = factory.CreateClient(Roles.Operator);
        var bytes = Encoding.UTF8.GetBytes(Oversized());
        var declared = new ByteArrayContent(bytes);
        declared.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var chunked = new StreamContent(new UnknownLengthStream(bytes));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var withLength = await client.PostAsync("/api/v1/operations", declared);
        var withChunks = await factory.CreateClient(Roles.Operator).PostAsync("/api/v1/operations", chunked);

        Assert.Equal(bytes.Length, declared.Headers.ContentLength);
        Assert.Null(chunked.Headers.ContentLength);
        var a = await ProblemAssert.IsProblemAsync(withLength, HttpStatusCode.RequestEntityTooLarge);
        var b = await ProblemAssert.IsProblemAsync(withChunks, HttpStatusCode.RequestEntityTooLarge);
        foreach (var problem in new[] { a, b })
        {
            Assert.Equal(413, problem.GetProperty("status").GetInt32());
            Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _), problem.ToString());
        }

        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("type").GetString(), b.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Post_WithBodyJustUnderTheLimit_IsNotRefusedForItsSize()
    {
        var body = "{\"kind\":\"agent.ping\",\"target\":{\"all\":true},\"parameters\":{\"pad\":\"" + new string('x', 1000 * 1024) + "\"}}";

        var response = await factory.CreateClient(Roles.Operator).PostAsync("/api/v1/operations", new StringContent(body, Encoding.UTF8, "application/json"));

        // Refused for its parameters (too large for a kind's parameters), not for the body size.
        await ProblemAssert.HasFieldErrorAsync(response, "parameters");
    }
}
