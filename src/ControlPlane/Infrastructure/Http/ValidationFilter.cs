using FluentValidation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Endpoint filter factory that runs the registered <see cref="IValidator{T}"/> of every handler
/// parameter that has one and answers 400 <c>application/problem+json</c> with every error,
/// keyed by camelCase field path (<c>target.agentIds</c>), before the handler runs
/// (TodoApi's ValidationFilter; RFC 9457).
/// </summary>
internal static class ValidationFilter
{
    /// <summary>Adds the filter to every endpoint of <paramref name="builder"/>.</summary>
    public static TBuilder WithRequestValidation<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilterFactory(static (context, next) =>
        {
            var validated = new List<(int Index, Type Type)>();
            foreach (var parameter in context.MethodInfo.GetParameters())
            {
                var validatorType = typeof(IValidator<>).MakeGenericType(parameter.ParameterType);
                if (context.ApplicationServices.GetService(validatorType) is not null)
                {
                    validated.Add((parameter.Position, validatorType));
                }
            }

            if (validated.Count == 0)
            {
                return next;
            }

            return async invocation =>
            {
                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                foreach (var (index, validatorType) in validated)
                {
                    var argument = invocation.Arguments[index];
                    if (argument is null)
                    {
                        errors["body"] = ["A JSON body is required."];
                        continue;
                    }

                    var validator = (IValidator)invocation.HttpContext.RequestServices.GetRequiredService(validatorType);
                    var result = await validator.ValidateAsync(new ValidationContext<object>(argument), invocation.HttpContext.RequestAborted);
                    foreach (var group in result.Errors.GroupBy(e => ErrorKeys.ToJsonPath(e.PropertyName), StringComparer.Ordinal))
                    {
                        errors[group.Key] = group.Select(e => e.ErrorMessage).Distinct().ToArray();
                    }
                }

                return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : await next(invocation);
            };
        });
        return builder;
    }
}
