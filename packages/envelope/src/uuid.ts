import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits, so ids sort by time.
 * Built on `randomUUID()` (which draws from Node's buffered entropy) by replacing the first
 * 48 bits with the timestamp and the version nibble with 7; the variant bits stay RFC 9562's.
 */
export function uuidv7(now: number = Date.now()): string {
  const ts = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${random.slice(15)}`;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True when `id` is a lower-case UUIDv7 string. */
export function isUuidV7(id: unknown): id is string {
  return typeof id === 'string' && UUID_V7.test(id);
}
