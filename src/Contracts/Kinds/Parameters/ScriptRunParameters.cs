using System.ComponentModel;
using System.Text.Json;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Parameters of <c>script.run</c>: run a script the agent's policy names, with typed arguments
/// that policy declares (seed 000's <c>run_pipeline.py --format modern --days 3</c>, seed 002's
/// collector, seed 004's certbot). Arguments become argv entries, never shell text.
/// </summary>
public sealed record ScriptRunParameters(
    [property: Description("Name of a script in the agent's policy, e.g. demo.pipeline.")]
    string Script,
    [property: Description("Arguments by name: strings, integers or booleans, checked by the agent against the script's declared types.")]
    IReadOnlyDictionary<string, JsonElement>? Arguments = null);
