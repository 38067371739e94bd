using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Checks the text of every JSON request body of the REST API before it is bound, so no route
/// has to: each string (member names included) must be valid UTF-8 (RFC 8259 §8.1), must not
/// escape a lone UTF-16 surrogate (RFC 8259 §8.2: <c>"\ud800"</c>) and must not contain U+0000,
/// which PostgreSQL can store in neither <c>text</c> nor <c>jsonb</c> (SQLSTATE 22P05, 22P02).
/// Offending strings are answered with one 400 validation problem naming each field path
/// (<c>parameters.paths[0]</c>, <c>target.labels.env</c>). Malformed JSON is left to the
/// binder, which reports it the usual way.
/// </summary>
internal sealed class JsonTextValidationMiddleware(RequestDelegate next)
{
    /// <summary>At most this many fields are named in one answer.</summary>
    public const int MaxReportedErrors = 20;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsJson(context.Request) || context.Request.ContentLength == 0)
        {
            await next(context);
            return;
        }

        // The body is read once, within the REST limit (a longer chunked body is a 413 whatever
        // the server), and handed on to the binder from memory.
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (body.Length + read > RequestLimits.MaxBodyBytes)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            body.Write(buffer, 0, read);
        }

        body.Position = 0;
        context.Request.Body = body;
        context.Response.RegisterForDispose(body);

        var errors = Check(body.GetBuffer().AsSpan(0, (int)body.Length));
        if (errors.Count > 0)
        {
            await TypedResults.ValidationProblem(errors, title: "The request body contains text that cannot be stored.").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    /// <summary>
    /// The bad strings of <paramref name="json"/> by field path; empty when every string is
    /// storable or when the document is not well-formed JSON (the binder reports that).
    /// </summary>
    public static Dictionary<string, string[]> Check(ReadOnlySpan<byte> json)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var path = new List<Frame>();
        try
        {
            while (errors.Count < MaxReportedErrors && reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(path);
                        path.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, null, -1));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var nameProblem = Problem(ref reader, out var name);
                        path[^1] = path[^1] with { Property = name ?? "?" };
                        if (nameProblem is not null)
                        {
                            errors.TryAdd(PathOf(path, includeLast: false), [$"A member name {nameProblem}"]);
                        }

                        break;
                    case JsonTokenType.String:
                        Advance(path);
                        if (Problem(ref reader, out _) is { } valueProblem)
                        {
                            errors.TryAdd(PathOf(path, includeLast: true), [$"The text {valueProblem}"]);
                        }

                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not well-formed (or deeper than 64): the binder answers 400 naming where.
        }

        return errors;
    }

    private static string? Problem(ref Utf8JsonReader reader, out string? text)
    {
        text = null;
        if (!Utf8.IsValid(reader.ValueSpan))
        {
            return "is not valid UTF-8.";
        }

        try
        {
            text = reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return "contains an unpaired UTF-16 surrogate escape (\\ud800–\\udfff).";
        }

        return text!.Contains('\0', StringComparison.Ordinal) ? "must not contain U+0000 (\\u0000): PostgreSQL cannot store it." : null;
    }

    /// <summary>A value starts inside the innermost container: arrays count their elements.</summary>
    private static void Advance(List<Frame> path)
    {
        if (path.Count > 0 && path[^1].IsArray)
        {
            path[^1] = path[^1] with { Index = path[^1].Index + 1 };
        }
    }

    private static string PathOf(List<Frame> path, bool includeLast)
    {
        var text = new StringBuilder();
        for (var i = 0; i < path.Count; i++)
        {
            var frame = path[i];
            if (frame.IsArray)
            {
                if (frame.Index >= 0 && (includeLast || i < path.Count - 1))
                {
                    text.Append('[').Append(frame.Index).Append(']');
                }
            }
            else if (frame.Property is { } property && (includeLast || i < path.Count - 1))
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }

                text.Append(property.Length == 0 ? property : char.ToLowerInvariant(property[0]) + property[1..]);
            }
        }

        return text.Length == 0 ? "body" : text.ToString();
    }

    private static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type
        && (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>One open container: an array and its current element index, or an object and its current member.</summary>
    private readonly record struct Frame(bool IsArray, string? Property, int Index);
}
