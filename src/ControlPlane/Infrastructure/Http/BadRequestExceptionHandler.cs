using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Turns request-binding failures (malformed JSON, a value of the wrong type, a missing or
/// oversized body) into validation problems whose <c>errors</c> map names the field, instead
/// of a bare status: 400, except 413 for a body over <see cref="RequestLimits.MaxBodyBytes"/>
/// (declared or chunked, one shape) and 415 for a wrong content type.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var status = bad.StatusCode switch
        {
            StatusCodes.Status415UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
            StatusCodes.Status413PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
            _ => StatusCodes.Status400BadRequest,
        };
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string title;
        switch (bad.InnerException)
        {
            case JsonException json:
                title = "The request body is not valid JSON for this route.";
                errors[ErrorKeys.ToJsonPath(json.Path)] = [json.Path is null or "$" ? "Malformed JSON." : "Invalid value or type."];
                break;
            default:
                if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    title = "The request body is too large.";
                    errors["body"] = [$"The body must be at most {RequestLimits.MaxBodyBytes} bytes."];
                }
                else if (status == StatusCodes.Status415UnsupportedMediaType)
                {
                    title = "Unsupported media type.";
                    errors["body"] = ["Send the body as application/json."];
                }
                else if (bad.Message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase))
                {
                    title = "A JSON body is required.";
                    errors["body"] = ["A JSON body is required."];
                }
                else if (BindFailure().Match(bad.Message) is { Success: true } bind)
                {
                    title = "A parameter has an invalid value.";
                    errors[bind.Groups["name"].Value] = [$"'{bind.Groups["value"].Value}' is not a valid {Describe(bind.Groups["type"].Value)}."];
                }
                else
                {
                    title = "The request is malformed.";
                    errors["request"] = [bad.Message];
                }

                break;
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(errors)
            {
                Status = status,
                Title = title,
                Type = status switch
                {
                    StatusCodes.Status413PayloadTooLarge => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
                    StatusCodes.Status415UnsupportedMediaType => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
                    _ => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                },
            },
        });
    }

    private static string Describe(string type) => type switch
    {
        _ when type.Contains("Guid", StringComparison.Ordinal) => "UUID",
        _ when type.Contains("Int", StringComparison.Ordinal) => "integer",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "boolean",
        _ => "value",
    };

    // Minimal APIs' message for a route or query value that does not parse, e.g.
    // Failed to bind parameter "Nullable<Guid> agentId" from "notaguid".
    [System.Text.RegularExpressions.GeneratedRegex("Failed to bind parameter \"(?<type>.+) (?<name>\\w+)\" from \"(?<value>.*)\"")]
    private static partial System.Text.RegularExpressions.Regex BindFailure();
}
