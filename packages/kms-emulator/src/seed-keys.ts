import { KmsError } from './errors.ts';
import { createAlias } from './operations/aliases.ts';
import { createKey } from './operations/keys.ts';
import { KEY_SPECS } from './specs.ts';
import type { KeyStore } from './store.ts';

/**
 * A key the emulator creates at start under an alias, so that a fresh emulator answers
 * `kms:alias/...` references at once, without an AWS CLI or SDK call to set it up.
 */
export interface KeySeed {
  /** The alias, `alias/NAME`. */
  readonly alias: string;
  /** A KMS key spec, e.g. `ECC_NIST_P521`, `RSA_4096`, `SYMMETRIC_DEFAULT`. */
  readonly keySpec: string;
  /** @defaultValue `SIGN_VERIFY` for ECC keys, `ENCRYPT_DECRYPT` otherwise */
  readonly keyUsage?: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';
  /** `EXTERNAL` leaves the key PendingImport, for bring-your-own-key imports. @defaultValue 'AWS_KMS' */
  readonly origin?: 'AWS_KMS' | 'EXTERNAL';
}

/** A key created from a {@link KeySeed}. */
export interface SeededKey {
  readonly alias: string;
  readonly keyId: string;
  readonly arn: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly keyState: string;
}

const USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'] as const;
const ORIGINS = ['AWS_KMS', 'EXTERNAL'] as const;

/**
 * Parses the CLI's `--key alias/NAME=KEY_SPEC[:KEY_USAGE][:EXTERNAL]`, e.g.
 * `alias/sealpost-sender=ECC_NIST_P521` or `alias/byok=SYMMETRIC_DEFAULT:EXTERNAL`; throws a
 * RangeError naming what is wrong.
 */
export function parseKeySeed(text: string): KeySeed {
  const match = /^(alias\/[^=]+)=([A-Z0-9_:]+)$/.exec(text.trim());
  if (!match) throw new RangeError(`--key must look like alias/NAME=KEY_SPEC[:KEY_USAGE][:EXTERNAL], got ${text}`);
  const [keySpec, ...options] = match[2]!.split(':');
  let keyUsage: KeySeed['keyUsage'];
  let origin: KeySeed['origin'];
  for (const option of options) {
    if ((USAGES as readonly string[]).includes(option) && keyUsage === undefined) keyUsage = option as KeySeed['keyUsage'];
    else if ((ORIGINS as readonly string[]).includes(option) && origin === undefined) origin = option as KeySeed['origin'];
    else throw new RangeError(`--key ${text}: ${option} is not a key usage (${USAGES.join(', ')}) or origin (${ORIGINS.join(', ')})`);
  }
  return { alias: match[1]!, keySpec: keySpec!, ...(keyUsage ? { keyUsage } : {}), ...(origin ? { origin } : {}) };
}

/**
 * Creates each seed's key and alias in `region` through the CreateKey and CreateAlias
 * operations themselves, so seeded keys are exactly what those calls would make (and are not
 * counted as calls). A seed KMS would refuse throws a RangeError with KMS's message.
 */
export async function seedKeys(store: KeyStore, region: string, seeds: readonly KeySeed[]): Promise<SeededKey[]> {
  const created: SeededKey[] = [];
  for (const seed of seeds) {
    const spec = KEY_SPECS[seed.keySpec];
    if (!spec) throw new RangeError(`key ${seed.alias}: unknown key spec ${seed.keySpec}; known: ${Object.keys(KEY_SPECS).join(', ')}`);
    const keyUsage = seed.keyUsage ?? (spec.kind === 'ec' ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT');
    try {
      const { KeyMetadata: key } = (await createKey({ KeySpec: seed.keySpec, KeyUsage: keyUsage, Origin: seed.origin ?? 'AWS_KMS' }, { store, region })) as {
        KeyMetadata: { KeyId: string; Arn: string; KeyState: string };
      };
      await createAlias({ AliasName: seed.alias, TargetKeyId: key.KeyId }, { store, region });
      created.push({ alias: seed.alias, keyId: key.KeyId, arn: key.Arn, keySpec: seed.keySpec, keyUsage, keyState: key.KeyState });
    } catch (error) {
      if (error instanceof KmsError) throw new RangeError(`key ${seed.alias}: ${error.message}`);
      throw error;
    }
  }
  return created;
}
