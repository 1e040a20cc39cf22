import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.allocUnsafe(0);
let offset = 0;

/**
 * `n` fresh random bytes (n at most 4096), drawn from a pool refilled 4 KiB at a time from the
 * CSPRNG: one system call for many salts. Each byte is handed out once.
 */
export function randomPoolBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  offset += n;
  return out;
}
