import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { SealpostError } from '../errors.ts';
import type { RecipientEntry } from '../format/header.ts';
import type { KeyWrapper } from './types.ts';

/**
 * How long the sender may keep using one wrapped data key. Each message still gets its own
 * content key (HKDF with a fresh salt); reuse only saves the RSA/KMS wrap per message.
 */
export interface DataKeyReuse {
  /** Most messages per data key. @defaultValue 10000 */
  readonly maxMessages?: number;
  /** Longest time a data key is used, in ms. @defaultValue 300000 (5 minutes) */
  readonly maxAgeMs?: number;
}

/** A data key and its wrapped copies, one per recipient. */
export interface DataKey {
  /** The 256-bit data key, as a KeyObject (see format/derive.ts for why). */
  readonly key: KeyObject;
  readonly recipients: readonly RecipientEntry[];
}

/** Hands out data keys for sealing: a fresh one per message, or one reused within bounds. */
export interface DataKeySource {
  next(): Promise<DataKey>;
}

async function freshDataKey(wrappers: readonly KeyWrapper[]): Promise<DataKey> {
  const key = randomBytes(32);
  const wrapped = await Promise.all(wrappers.map((w) => w.wrap(key)));
  const keyObject = createSecretKey(key);
  key.fill(0);
  return {
    key: keyObject,
    // Frozen: the header encoder may then encode this list once for every message under the key.
    recipients: Object.freeze(wrappers.map((w, i) => ({ keyId: w.keyId, algorithm: w.algorithm, wrappedKey: wrapped[i]! }))),
  };
}

/**
 * Creates the data-key source for a fixed recipient list. Without `reuse`, every message gets
 * a new data key (one wrap per recipient per message). With it, a key serves at most
 * `maxMessages` messages for at most `maxAgeMs`; concurrent callers share one wrap.
 */
export function createDataKeySource(wrappers: readonly KeyWrapper[], reuse?: DataKeyReuse): DataKeySource {
  if (wrappers.length === 0) throw new SealpostError('CONFIG_INVALID', 'at least one recipient is required');
  if (new Set(wrappers.map((w) => w.keyId)).size !== wrappers.length) {
    throw new SealpostError('CONFIG_INVALID', 'recipients must be distinct keys');
  }
  if (!reuse) return { next: () => freshDataKey(wrappers) };
  const maxMessages = reuse.maxMessages ?? 10_000;
  const maxAgeMs = reuse.maxAgeMs ?? 300_000;
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 1) {
    throw new SealpostError('CONFIG_INVALID', 'dataKeyReuse.maxMessages must be a positive integer');
  }
  if (!(maxAgeMs > 0)) throw new SealpostError('CONFIG_INVALID', 'dataKeyReuse.maxAgeMs must be positive');
  let current: { key: Promise<DataKey>; uses: number; expires: number } | undefined;
  return {
    next() {
      const now = Date.now();
      if (!current || current.uses >= maxMessages || now >= current.expires) {
        const key = freshDataKey(wrappers);
        current = { key, uses: 0, expires: now + maxAgeMs };
        // A failed wrap must not stick: the next call tries again.
        const failed = current;
        key.catch(() => {
          if (current === failed) current = undefined;
        });
      }
      current.uses++;
      return current.key;
    },
  };
}
