using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using FluentValidation;
using FluentValidation.Internal;
using FluentValidation.Validators;
using Ops.Contracts.Json;

namespace Ops.Contracts.Kinds;

/// <summary>
/// Generates the JSON Schema (draft 2020-12 vocabulary, as produced by
/// <see cref="JsonSchemaExporter"/>) of a kind's parameter record, published by
/// <c>GET /api/v1/operation-kinds</c>. Property descriptions come from
/// <see cref="DescriptionAttribute"/>; bounds (<c>minimum</c>, <c>maximum</c>, <c>minLength</c>,
/// <c>maxLength</c>, <c>pattern</c>) come from the kind's FluentValidation rules, so the schema
/// and the validator cannot drift apart.
/// </summary>
public static class ParameterSchema
{
    /// <summary>Builds the schema of <paramref name="kind"/>'s parameters; a fresh node each call.</summary>
    public static JsonObject For(OperationKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var exporterOptions = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = static (context, node) =>
            {
                var description = context.PropertyInfo?.AttributeProvider?
                    .GetCustomAttributes(typeof(DescriptionAttribute), inherit: true)
                    .OfType<DescriptionAttribute>()
                    .FirstOrDefault()?.Description;
                if (description is not null && node is JsonObject obj)
                {
                    obj.Insert(0, "description", description);
                }

                return node;
            },
        };

        var schema = OpsJson.Strict.GetJsonSchemaAsNode(kind.ParametersType, exporterOptions) as JsonObject ?? [];
        schema["type"] = "object";
        schema["additionalProperties"] = false;
        schema.Insert(0, "title", kind.Name);
        schema.Insert(1, "description", kind.Description);
        if (schema["properties"] is JsonObject properties)
        {
            ApplyValidatorBounds(kind.Validator, properties);
        }
        else
        {
            schema["properties"] = new JsonObject();
        }

        return schema;
    }

    private static void ApplyValidatorBounds(IValidator validator, JsonObject properties)
    {
        var descriptor = validator.CreateDescriptor();
        foreach (var group in descriptor.GetMembersWithValidators())
        {
            var jsonName = JsonNamingPolicy.CamelCase.ConvertName(group.Key);
            if (properties[jsonName] is not JsonObject property)
            {
                continue;
            }

            foreach (var rule in descriptor.GetRulesForMember(group.Key))
            {
                var target = property;
                if (rule.GetType().Name.StartsWith("CollectionPropertyRule", StringComparison.Ordinal))
                {
                    if (property["items"] is not JsonObject items)
                    {
                        continue;
                    }

                    target = items;
                }

                foreach (var component in rule.Components)
                {
                    Apply(component.Validator, target);
                }
            }
        }
    }

    private static void Apply(IPropertyValidator validator, JsonObject target)
    {
        switch (validator)
        {
            case IBetweenValidator between:
                var inclusive = validator.Name.StartsWith("Inclusive", StringComparison.Ordinal);
                target[inclusive ? "minimum" : "exclusiveMinimum"] = JsonValue.Create(Convert.ToDouble(between.From, System.Globalization.CultureInfo.InvariantCulture));
                target[inclusive ? "maximum" : "exclusiveMaximum"] = JsonValue.Create(Convert.ToDouble(between.To, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case IComparisonValidator { ValueToCompare: IConvertible value } comparison:
                var number = JsonValue.Create(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                var keyword = comparison.Comparison switch
                {
                    Comparison.GreaterThanOrEqual => "minimum",
                    Comparison.GreaterThan => "exclusiveMinimum",
                    Comparison.LessThanOrEqual => "maximum",
                    Comparison.LessThan => "exclusiveMaximum",
                    _ => null,
                };
                if (keyword is not null)
                {
                    target[keyword] = number;
                }

                break;
            case ILengthValidator length:
                if (length.Min > 0)
                {
                    target["minLength"] = length.Min;
                }

                if (length.Max > 0)
                {
                    target["maxLength"] = length.Max;
                }

                break;
            case IRegularExpressionValidator regex:
                target["pattern"] = regex.Expression;
                break;
            case IOneOfValidator oneOf:
                var values = new JsonArray(oneOf.Values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
                if (target["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() == "null"))
                {
                    values.Add(null);
                }

                target["enum"] = values;
                break;
            case INotEmptyValidator when target["type"] is JsonValue type && type.ToString() == "string":
                target["minLength"] = 1;
                break;
        }
    }
}
