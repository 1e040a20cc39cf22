import ms from 'ms';
import { SealpostError } from '@sealpost/envelope';

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses `key=value` metadata options. */
export function parseMetadata(pairs: readonly string[] = []): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new SealpostError('CONFIG_INVALID', `--metadata expects key=value, got ${JSON.stringify(pair)}`);
    metadata[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return metadata;
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
