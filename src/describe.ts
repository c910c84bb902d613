// How messages show a value the caller gave: a leaf that every layer's checks use, so that every message quotes the
// same way.

/** A value for a message: strings quoted (so "3" never reads as 3), arrays by their length, other objects by their kind. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return Object.prototype.toString.call(value);
}
