using System.Collections;
using System.Text;

namespace Ops.Contracts.Grpc;

/// <summary>
/// gRPC custom metadata: an ordered, multi-valued list of key/value entries sent as HTTP/2 headers or
/// trailers (PROTOCOL-HTTP2.md "Custom-Metadata"). Keys are lower-cased and limited to
/// <c>0-9 a-z _ - .</c>; keys ending in <c>-bin</c> carry binary values (base64 on the wire, emitted
/// unpadded, accepted padded or unpadded), other keys carry printable ASCII (0x20–0x7E). Keys starting
/// with <c>grpc-</c> or <c>:</c> are reserved and rejected.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    /// <summary>The key suffix that marks binary-valued metadata.</summary>
    public const string BinaryHeaderSuffix = "-bin";

    private readonly List<Entry> entries = [];

    /// <summary>Number of entries.</summary>
    public int Count => entries.Count;

    /// <summary>Appends an ASCII entry.</summary>
    /// <param name="key">Key (lower-cased); must not end in <c>-bin</c>.</param>
    /// <param name="value">Printable ASCII value (0x20–0x7E).</param>
    /// <exception cref="ArgumentException">The key or value is invalid.</exception>
    public void Add(string key, string value) => entries.Add(new Entry(key, value));

    /// <summary>Appends a binary entry.</summary>
    /// <param name="key">Key (lower-cased); must end in <c>-bin</c>.</param>
    /// <param name="value">Any bytes; base64-encoded on the wire.</param>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    public void Add(string key, byte[] value) => entries.Add(new Entry(key, value));

    /// <summary>Appends an existing entry.</summary>
    /// <param name="entry">The entry.</param>
    public void Add(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        entries.Add(entry);
    }

    /// <summary>Returns the value of the last ASCII entry with <paramref name="key"/>, or null.</summary>
    /// <param name="key">Key, compared case-insensitively.</param>
    /// <exception cref="ArgumentException">The key is a <c>-bin</c> key; use <see cref="GetBytes"/>.</exception>
    public string? Get(string key)
    {
        var normalized = Normalize(key);
        if (IsBinaryKey(normalized))
        {
            throw new ArgumentException($"'{normalized}' is a binary key; use GetBytes.", nameof(key));
        }

        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].Key == normalized)
            {
                return entries[i].Value;
            }
        }

        return null;
    }

    /// <summary>Returns the value of the last binary entry with <paramref name="key"/>, or null.</summary>
    /// <param name="key">Key ending in <c>-bin</c>, compared case-insensitively.</param>
    public byte[]? GetBytes(string key)
    {
        var normalized = Normalize(key);
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].Key == normalized)
            {
                return entries[i].ValueBytes;
            }
        }

        return null;
    }

    /// <summary>Returns all entries with <paramref name="key"/>, in order.</summary>
    /// <param name="key">Key, compared case-insensitively.</param>
    public IReadOnlyList<Entry> GetAll(string key)
    {
        var normalized = Normalize(key);
        return entries.Where(e => e.Key == normalized).ToList();
    }

    /// <summary>Removes all entries with <paramref name="key"/>.</summary>
    /// <param name="key">Key, compared case-insensitively.</param>
    /// <returns>The number of entries removed.</returns>
    public int RemoveAll(string key)
    {
        var normalized = Normalize(key);
        return entries.RemoveAll(e => e.Key == normalized);
    }

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static bool IsBinaryKey(string key) => key.EndsWith(BinaryHeaderSuffix, StringComparison.Ordinal);

    private static string Normalize(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ToLowerInvariant();
    }

    /// <summary>One metadata entry: a key and either an ASCII or a binary value.</summary>
    public sealed class Entry
    {
        private readonly string? value;
        private readonly byte[]? valueBytes;

        /// <summary>Creates an ASCII entry.</summary>
        /// <param name="key">Key (lower-cased); must not end in <c>-bin</c>.</param>
        /// <param name="value">Printable ASCII value (0x20–0x7E).</param>
        /// <exception cref="ArgumentException">The key or value is invalid.</exception>
        public Entry(string key, string value)
        {
            Key = ValidateKey(key);
            ArgumentNullException.ThrowIfNull(value);
            if (IsBinaryKey(Key))
            {
                throw new ArgumentException($"'{Key}' is a binary key; pass the value as byte[].", nameof(value));
            }

            foreach (var c in value)
            {
                if (c is < ' ' or > '~')
                {
                    throw new ArgumentException(
                        $"Metadata value for '{Key}' contains a character outside printable ASCII (0x20-0x7E); use a '-bin' key.",
                        nameof(value));
                }
            }

            this.value = value;
        }

        /// <summary>Creates a binary entry.</summary>
        /// <param name="key">Key (lower-cased); must end in <c>-bin</c>.</param>
        /// <param name="value">Any bytes.</param>
        /// <exception cref="ArgumentException">The key is invalid.</exception>
        public Entry(string key, byte[] value)
        {
            Key = ValidateKey(key);
            ArgumentNullException.ThrowIfNull(value);
            if (!IsBinaryKey(Key))
            {
                throw new ArgumentException($"Binary metadata keys must end with '{BinaryHeaderSuffix}': '{Key}'.", nameof(key));
            }

            valueBytes = (byte[])value.Clone();
        }

        /// <summary>The lower-cased key.</summary>
        public string Key { get; }

        /// <summary>True when the key ends in <c>-bin</c> and the value is binary.</summary>
        public bool IsBinary => valueBytes is not null;

        /// <summary>The ASCII value.</summary>
        /// <exception cref="InvalidOperationException">The entry is binary; use <see cref="ValueBytes"/>.</exception>
        public string Value => value ?? throw new InvalidOperationException($"'{Key}' is a binary entry; use ValueBytes.");

        /// <summary>The value as bytes: the binary value, or the ASCII bytes of an ASCII value.</summary>
        public byte[] ValueBytes => valueBytes is not null ? (byte[])valueBytes.Clone() : Encoding.ASCII.GetBytes(value!);

        /// <inheritdoc />
        public override string ToString() =>
            IsBinary ? $"{Key}: [{valueBytes!.Length} bytes]" : $"{Key}: {value}";

        private static string ValidateKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            var normalized = key.ToLowerInvariant();
            foreach (var c in normalized)
            {
                if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'z') or '_' or '-' or '.'))
                {
                    throw new ArgumentException($"Metadata key '{key}' may only contain 0-9, a-z, '_', '-' and '.'.", nameof(key));
                }
            }

            if (normalized.StartsWith("grpc-", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Metadata keys starting with 'grpc-' are reserved: '{key}'.", nameof(key));
            }

            return normalized;
        }
    }
}
