// Reading chain values robustly, in one place.
//
// Every struct and event is read through `toPrimitive()`: small integers come as numbers, big
// ones as decimal strings (signed ones too), so `big` is exact. `toJSON()` would give
// two's-complement hex for a negative i128.
//
// Field names: Polkadot.js renames a struct's or event's `size` to `size_` (a Struct is a Map,
// and `health.size` is the Map's size!), and another engineer may rename the field itself
// (`size_units`). `sizeOf` is the only place that knows those names.
import type { Codec } from '@polkadot/types/types';

export type Fields = Record<string, unknown>;

/** The names a position's or event's size may have, newest first. */
export const SIZE_FIELD_NAMES = ['sizeUnits', 'size_', 'size'] as const;

/** A chain integer as a bigint, exactly: number (safe integers only), decimal or hex string, bigint, or an integer Codec. */
export function big(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not an exact integer: ${value}`);
    return BigInt(value);
  }
  if (typeof value === 'string') {
    const text = value.replace(/,/g, '').trim();
    if (/^-?\d+$/.test(text) || /^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
    throw new TypeError(`not an integer: "${value}"`);
  }
  if (value !== null && typeof value === 'object' && 'toBigInt' in value && typeof value.toBigInt === 'function') {
    return (value as { toBigInt(): bigint }).toBigInt();
  }
  throw new TypeError(`not an integer: ${String(value)}`);
}

/** `big`, with `null` for an absent value (an Option's None). */
export function optBig(value: unknown): bigint | null {
  return value === null || value === undefined ? null : big(value);
}

/** A struct's fields by their Polkadot.js names (camelCase, `size_`). */
export function fieldsOf(codec: Codec): Fields {
  const value = codec.toPrimitive();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`expected a struct, got ${JSON.stringify(value)}`);
  }
  return value as Fields;
}

/** The elements of a Vec or tuple, each as fields. */
export function listOf(codec: Codec): Fields[] {
  return [...(codec as unknown as Iterable<Codec>)].map(fieldsOf);
}

/** An event's fields by name (`event.data.names`: camelCase, `size_`). */
export function eventFields(event: { data: Codec & { names?: string[] | null } }): Fields {
  const values = event.data.toPrimitive();
  const names = event.data.names ?? [];
  if (!Array.isArray(values)) return {};
  return Object.fromEntries(names.map((name, i) => [name, values[i]]));
}

/** The one field read by one of several names. */
export function pick(fields: Fields, names: readonly string[]): unknown {
  for (const name of names) {
    if (fields[name] !== undefined) return fields[name];
  }
  throw new Error(`none of ${names.join(', ')} among the fields ${Object.keys(fields).join(', ')}`);
}

/** A position's (or a position event's) size in size units: positive long, negative short. */
export function sizeOf(fields: Fields): bigint {
  return big(pick(fields, SIZE_FIELD_NAMES));
}

/** A text field (a basic enum such as `ReduceOnly`, an account), `null` when absent. */
export function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return Object.keys(value as object)[0] ?? null; // an enum with data: { variant: data }
  return String(value);
}

/** A boolean field. */
export function boolOf(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The value inside an Option (storage with OptionQuery, `Option<T>` results), `null` for None; any other codec as it is. */
export function optional(codec: Codec): Codec | null {
  const option = codec as Codec & { isNone?: unknown; unwrap?: unknown };
  if (typeof option.isNone === 'boolean' && typeof option.unwrap === 'function') {
    return option.isNone ? null : (option.unwrap as () => Codec).call(option);
  }
  return codec;
}
