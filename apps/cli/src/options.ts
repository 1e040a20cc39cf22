import ms from 'ms';
import { SealpostError, checkMessageOptions } from '@sealpost/envelope';

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Parses `key=value` metadata options and checks them as seal will. A key given twice is refused
 * (no silent last-one-wins); keys are own properties, so `__proto__` is checked like any other
 * key (and refused by the key syntax) instead of vanishing into the prototype.
 */
export function parseMetadata(pairs: readonly string[] = []): Record<string, string> {
  const entries = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new SealpostError('CONFIG_INVALID', `--metadata expects key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, at);
    if (entries.has(key)) throw new SealpostError('CONFIG_INVALID', `--metadata ${key} is given more than once`);
    entries.set(key, pair.slice(at + 1));
  }
  const metadata = Object.fromEntries(entries);
  checkMessageOptions({ metadata });
  return metadata;
}

/** Parses a whole number option within bounds. */
export function parseCount(value: string, flag: string, min: number, max: number): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < min || count > max) throw new SealpostError('CONFIG_INVALID', `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return count;
}

/** Parses a duration such as 30s, 12h, 7d; `none` means no limit (null). */
export function parseDuration(value: string, flag: string): number | null {
  if (/^(none|off)$/i.test(value)) return null;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !(parsed > 0)) {
    throw new SealpostError('CONFIG_INVALID', `${flag} expects a duration such as 30m, 12h or 7d, or 'none'; got ${JSON.stringify(value)}`);
  }
  return parsed;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Parses a byte size such as 4096, 512MiB or 1GiB (binary units). */
export function parseSize(value: string, flag: string): number {
  const match = /^(\d+)\s*(b|kib|mib|gib)?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]! : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new SealpostError('CONFIG_INVALID', `${flag} expects a size such as 4096, 512MiB or 1GiB; got ${JSON.stringify(value)}`);
  }
  return bytes;
}
