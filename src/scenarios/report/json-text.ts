// JSON text for reports: indented like JSON.stringify(v, null, 2), except that the elements of the
// arrays named in `inline` are written one per line, compactly. A comparison's per-cell `sequence`
// has a few dozen small objects per cell; indenting each field of each would triple the file.
// The output parses to the same value as JSON.stringify's.

export function jsonText(value: unknown, inline: ReadonlySet<string>): string {
  return write(value, '', inline, false);
}

function write(v: unknown, indent: string, inline: ReadonlySet<string>, compactElements: boolean): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if ('toJSON' in v && typeof (v as { toJSON: unknown }).toJSON === 'function') return write((v as { toJSON(): unknown }).toJSON(), indent, inline, compactElements);
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const items = v.map((x) => (compactElements ? (JSON.stringify(x) ?? 'null') : write(x, inner, inline, false)));
    return `[\n${items.map((x) => inner + x).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== 'function');
  if (entries.length === 0) return '{}';
  const parts = entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner, inline, Array.isArray(x) && inline.has(k))}`);
  return `{\n${parts.join(',\n')}\n${indent}}`;
}
