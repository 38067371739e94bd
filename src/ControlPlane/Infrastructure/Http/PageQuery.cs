namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Reads the keyset-pagination query of a list route (<c>limit</c>, <c>cursor</c>) and builds its
/// <see cref="Page{T}"/>: the store is asked for one row more than the page so the presence of
/// a next page is known without a count.
/// </summary>
internal static class PageQuery
{
    /// <summary>The page size: <paramref name="limit"/> within 1..<paramref name="max"/>, else an error under <c>limit</c>.</summary>
    public static int Size(int? limit, int max, int fallback, IDictionary<string, string[]> errors)
    {
        if (limit is < 1 || limit > max)
        {
            errors["limit"] = [$"limit must be between 1 and {max}."];
        }

        return limit ?? fallback;
    }

    /// <summary>The position after which to read, from a cursor this API produced; an error under <c>cursor</c> otherwise.</summary>
    public static T? After<T>(string? cursor, IDictionary<string, string[]> errors)
        where T : struct, IParsable<T>
    {
        if (cursor is null)
        {
            return null;
        }

        if (Cursor.TryDecode(cursor, out var key) && T.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }

        errors["cursor"] = ["Invalid cursor: pass nextCursor from a previous page."];
        return null;
    }

    /// <summary>The first <paramref name="size"/> of <paramref name="rows"/> (read with <c>size + 1</c>) and the next page's cursor.</summary>
    public static Page<T> Build<T>(IReadOnlyList<T> rows, int size, Func<T, string> key)
    {
        var items = rows.Take(size).ToList();
        return new Page<T>(items, rows.Count > size ? Cursor.Encode(key(items[^1])) : null);
    }
}
