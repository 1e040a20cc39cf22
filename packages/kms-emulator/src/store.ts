import { randomUUID, type KeyObject } from 'node:crypto';
import { KmsError, kmsErrors } from './errors.ts';

/** The key states the emulator models. */
export type KeyState = 'Enabled' | 'Disabled' | 'PendingImport' | 'PendingDeletion';

/** Import parameters handed out by GetParametersForImport, valid for one ImportKeyMaterial. */
export interface ImportParameters {
  readonly wrappingKey: KeyObject;
  readonly algorithm: string;
  /** Expiry, ms since the epoch. */
  readonly expires: number;
}

/** One emulated KMS key. */
export interface EmulatedKey {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly spec: string;
  readonly usage: string;
  readonly origin: 'AWS_KMS' | 'EXTERNAL';
  readonly description: string;
  readonly created: Date;
  state: KeyState;
  /** Asymmetric keys: the private key (kept after imported material expires, to check reimports). */
  privateKey?: KeyObject;
  /** Symmetric keys: the 256-bit key. */
  secret?: Buffer;
  deletionDate?: Date;
  /** Imported material expiring: when. */
  validTo?: Date;
  /** Origin EXTERNAL keys with material: KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE. */
  expirationModel?: string;
  /** Outstanding import tokens. */
  readonly imports: Map<string, ImportParameters>;
}

/** What a KeyId parameter may name: KMS accepts aliases only for some operations. */
export type KeyReference = 'key' | 'key-or-alias';

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/([0-9a-f-]{36})$/;
const ALIAS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(alias\/.+)$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

/** The emulator's keys and aliases, in memory. Keys and aliases are regional, as in KMS. */
export class KeyStore {
  /** The account in every ARN. */
  readonly account = '111122223333';
  readonly #keys = new Map<string, EmulatedKey>();
  // `${region} ${alias name}` -> key id
  readonly #aliases = new Map<string, string>();

  /** Adds a key without material (the caller generates or imports it). */
  create(region: string, spec: string, usage: string, origin: 'AWS_KMS' | 'EXTERNAL', description: string): EmulatedKey {
    const id = randomUUID();
    const key: EmulatedKey = {
      id,
      arn: `arn:aws:kms:${region}:${this.account}:key/${id}`,
      region,
      spec,
      usage,
      origin,
      description,
      created: new Date(),
      state: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
      imports: new Map(),
    };
    this.#keys.set(id, key);
    return key;
  }

  /**
   * Resolves a KeyId parameter as KMS does: a key id or key ARN, and for `key-or-alias` also an
   * alias name or alias ARN. Keys of other regions or accounts are not found.
   */
  find(ref: unknown, region: string, accepts: KeyReference = 'key-or-alias'): EmulatedKey {
    if (typeof ref !== 'string' || ref.length === 0) throw kmsErrors.validation('KeyId is required');
    let id = ref;
    if (ref.startsWith('alias/') || ALIAS_ARN.test(ref)) {
      const arn = ALIAS_ARN.exec(ref);
      const name = arn ? arn[3]! : ref;
      const target = accepts === 'key-or-alias' && (!arn || (arn[1] === region && arn[2] === this.account)) ? this.#aliases.get(`${region} ${name}`) : undefined;
      if (!target) throw new KmsError('NotFoundException', accepts === 'key' ? `Invalid keyId ${ref}: this operation takes a key id or key ARN` : `Alias ${ref} is not found.`);
      id = target;
    } else if (ref.startsWith('arn:')) {
      const arn = KEY_ARN.exec(ref);
      if (!arn) throw kmsErrors.invalidArn(ref);
      if (arn[1] !== region || arn[2] !== this.account) throw kmsErrors.notFound(ref);
      id = arn[3]!;
    }
    const key = this.#keys.get(id);
    if (!key || key.region !== region) throw kmsErrors.notFound(ref);
    expireMaterial(key);
    return key;
  }

  /** A key that must be Enabled, for a cryptographic operation. */
  usable(ref: unknown, region: string): EmulatedKey {
    const key = this.find(ref, region);
    if (key.state === 'Disabled') throw kmsErrors.disabled(key.arn);
    if (key.state !== 'Enabled') throw kmsErrors.invalidState(key.arn, key.state === 'PendingImport' ? 'pending import' : 'pending deletion');
    return key;
  }

  /** CreateAlias: the target is a key id or key ARN; names are unique per region. */
  createAlias(region: string, name: unknown, target: unknown): void {
    if (typeof name !== 'string' || !ALIAS_NAME.test(name)) throw kmsErrors.validation('AliasName must match alias/[a-zA-Z0-9/_-]+');
    if (name.startsWith('alias/aws/')) throw new KmsError('NotAuthorizedException', 'alias/aws/ is reserved for AWS managed keys');
    const key = this.find(target, region, 'key');
    if (key.state === 'PendingDeletion') throw kmsErrors.invalidState(key.arn, 'pending deletion');
    if (this.#aliases.has(`${region} ${name}`)) throw new KmsError('AlreadyExistsException', `An alias with the name ${this.aliasArn(region, name)} already exists`);
    this.#aliases.set(`${region} ${name}`, key.id);
  }

  /** ListAliases: the region's aliases, optionally only those of one key (by key id or key ARN). */
  aliases(region: string, keyRef?: unknown): { AliasName: string; AliasArn: string; TargetKeyId: string }[] {
    const only = keyRef === undefined ? undefined : this.find(keyRef, region, 'key').id;
    const prefix = `${region} `;
    return [...this.#aliases]
      .filter(([entry, id]) => entry.startsWith(prefix) && (only === undefined || id === only))
      .map(([entry, id]) => {
        const name = entry.slice(prefix.length);
        return { AliasName: name, AliasArn: this.aliasArn(region, name), TargetKeyId: id };
      });
  }

  /** The ARN of an alias name in a region. */
  aliasArn(region: string, name: string): string {
    return `arn:aws:kms:${region}:${this.account}:${name}`;
  }
}

// KMS deletes imported material when ValidTo passes and the key goes back to PendingImport.
function expireMaterial(key: EmulatedKey): void {
  if (key.validTo && key.validTo.getTime() <= Date.now() && (key.state === 'Enabled' || key.state === 'Disabled')) {
    key.state = 'PendingImport';
    key.validTo = undefined;
    key.expirationModel = undefined;
  }
}
