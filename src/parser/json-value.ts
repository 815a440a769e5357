/** Checks of values read from JSON files another machine or an earlier run wrote, for messages that name them. */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** A value as an error message shows it: short, ASCII only (no raw control character reaches a terminal). */
export function showValue(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v).replace(/[\x7f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
