using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Tests.Grpc.Infrastructure;

/// <summary>Sends arbitrary bytes as HTTP/2 requests (no gRPC library) and exposes the raw response.</summary>
public sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient client;

    public RawGrpcClient(Uri address)
    {
        client = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = false })
        {
            BaseAddress = address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public static byte[] Frame(IMessage message) => MessageFraming.Frame(message.ToByteArray(), compressed: false);

    public async Task<RawGrpcResponse> SendAsync(
        string path,
        byte[] body,
        string? contentType = "application/grpc",
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new RawBytesContent(body, contentType),
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        foreach (var (key, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(key, value);
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var responseBody = await response.Content.ReadAsByteArrayAsync();
        return new RawGrpcResponse(
            (int)response.StatusCode,
            ToDictionary(response.Headers, response.Content.Headers),
            ToDictionary(response.TrailingHeaders),
            responseBody);
    }

    public void Dispose() => client.Dispose();

    private static Dictionary<string, string> ToDictionary(params HttpHeaders[] headerSets)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var headers in headerSets)
        {
            foreach (var (key, values) in headers.NonValidated)
            {
                result[key] = string.Join(",", values);
            }
        }

        return result;
    }

    private sealed class RawBytesContent : HttpContent
    {
        private readonly byte[] bytes;

        public RawBytesContent(byte[] bytes, string? contentType)
        {
            this.bytes = bytes;
            if (contentType is not null)
            {
                Headers.TryAddWithoutValidation("content-type", contentType);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
