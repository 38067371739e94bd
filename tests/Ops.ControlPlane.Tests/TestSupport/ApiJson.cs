using System.Net.Http.Json;
using System.Text.Json;
using Ops.Contracts.Json;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>JSON helpers with the API's conventions.</summary>
internal static class ApiJson
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, OpsJson.Default);

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string body, string contentType = "application/json") =>
        client.PostAsync(url, new StringContent(body, System.Text.Encoding.UTF8, contentType));

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
