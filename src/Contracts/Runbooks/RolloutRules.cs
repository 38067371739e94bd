using System.Globalization;
using System.Text.Json;

namespace Ops.Contracts.Runbooks;

/// <summary>Validation and resolution of <see cref="RolloutOptions"/> (DESIGN.md §11).</summary>
public static class RolloutRules
{
    /// <summary>Largest pause between batches, in seconds (one day).</summary>
    public const int MaxPauseSeconds = 86_400;

    /// <summary>Adds every problem of <paramref name="rollout"/> to <paramref name="errors"/>, keyed under <paramref name="prefix"/> (<c>rollout</c>, <c>steps[1].rollout</c>).</summary>
    public static void Validate(RolloutOptions rollout, string prefix, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        ArgumentNullException.ThrowIfNull(errors);
        if (rollout.BatchSize is not { } size || size.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            errors[$"{prefix}.batchSize"] = ["batchSize is required: a number of targets (2) or a percentage (\"25%\")."];
        }
        else if (!TryParseAmount(size, minimum: 1, out _, out _))
        {
            errors[$"{prefix}.batchSize"] = ["batchSize must be an integer of at least 1 or a percentage from \"1%\" to \"100%\"."];
        }

        if (rollout.BatchPauseSeconds is < 0 or > MaxPauseSeconds)
        {
            errors[$"{prefix}.batchPauseSeconds"] = [$"batchPauseSeconds must be between 0 and {MaxPauseSeconds}."];
        }

        if (rollout.MaxErrors is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } max && !TryParseAmount(max, minimum: 0, out _, out _))
        {
            errors[$"{prefix}.maxErrors"] = ["maxErrors must be an integer of at least 0 or a percentage from \"0%\" to \"100%\"."];
        }
    }

    /// <summary>
    /// Resolves a valid rollout for <paramref name="targets"/> jobs: the batch size (a percentage
    /// rounds up, at least 1), the pause in seconds and the error budget (a percentage rounds down).
    /// </summary>
    /// <exception cref="ArgumentException">The rollout was not validated with <see cref="Validate"/>.</exception>
    public static (int BatchSize, int PauseSeconds, int MaxErrors) Resolve(RolloutOptions rollout, int targets)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        if (rollout.BatchSize is not { } size || !TryParseAmount(size, 1, out var sizeValue, out var sizePercent))
        {
            throw new ArgumentException("Invalid rollout.batchSize.", nameof(rollout));
        }

        var batchSize = sizePercent ? Math.Max(1, (int)Math.Ceiling(targets * sizeValue / 100.0)) : (int)sizeValue;
        var maxErrors = 0;
        if (rollout.MaxErrors is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } max)
        {
            if (!TryParseAmount(max, 0, out var maxValue, out var maxPercent))
            {
                throw new ArgumentException("Invalid rollout.maxErrors.", nameof(rollout));
            }

            maxErrors = maxPercent ? (int)Math.Floor(targets * maxValue / 100.0) : (int)Math.Min(maxValue, int.MaxValue);
        }

        return (Math.Max(1, batchSize), rollout.BatchPauseSeconds ?? 0, maxErrors);
    }

    private static bool TryParseAmount(JsonElement value, int minimum, out long amount, out bool percent)
    {
        amount = 0;
        percent = false;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when value.TryGetInt64(out var n) && n >= minimum && n <= int.MaxValue:
                amount = n;
                return true;
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length is < 2 or > 4 || text[^1] != '%'
                    || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                    || p < minimum || p > 100)
                {
                    return false;
                }

                amount = p;
                percent = true;
                return true;
            default:
                return false;
        }
    }
}
