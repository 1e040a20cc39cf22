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
