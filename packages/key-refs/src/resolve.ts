import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SealpostError,
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  toPublicKey,
  type KeyUnwrapper,
  type KeyWrapper,
  type Signer,
  type TrustedSender,
} from '@sealpost/envelope';
import { inFile, kms, kmsKeyId, readPem } from './ref-parts.ts';

/**
 * A key reference as users write it: a PEM file path, or `kms:` followed by a KMS key id,
 * key ARN, `alias/name` or alias ARN. KMS support is loaded only when a `kms:` reference is
 * used, so file-only workflows never load the AWS SDK.
 */
export type KeyRef = string;

/** Options for KMS-backed references. */
export interface ResolveOptions {
  /** Verify KMS senders locally with their cached public key (default) or with the KMS Verify API. */
  readonly kmsVerify?: 'local' | 'kms';
  /** Wrap data keys for KMS recipients locally with their public key (default) or with KMS Encrypt. */
  readonly kmsWrap?: 'local' | 'encrypt';
  /** Called for every KMS API call, for metrics. */
  readonly onKmsCall?: (operation: string) => void;
}

/** The signer for `ref`: an EC private key file or a KMS SIGN_VERIFY key. */
export async function resolveSigner(ref: KeyRef, options: ResolveOptions = {}): Promise<Signer> {
  const keyId = kmsKeyId(ref);
  if (keyId !== undefined) {
    const { module, client } = await kms(options);
    return module.createKmsSigner({ client, keyId });
  }
  const pem = await readPem(ref, 'signing key');
  return inFile(ref, () => createLocalSigner(pem));
}

/** The wrapper for a recipient `ref`: an RSA public (or private) key file, or a KMS ENCRYPT_DECRYPT key. */
export async function resolveKeyWrapper(ref: KeyRef, options: ResolveOptions = {}): Promise<KeyWrapper> {
  const keyId = kmsKeyId(ref);
  if (keyId !== undefined) {
    const { module, client } = await kms(options);
    return module.createKmsKeyWrapper({ client, keyId, mode: options.kmsWrap ?? 'local' });
  }
  const pem = await readPem(ref, 'recipient key');
  return inFile(ref, () => createLocalKeyWrapper(toPublicKey(pem)));
}

/** The unwrapper for one of our keys: an RSA private key file, or a KMS ENCRYPT_DECRYPT key. */
export async function resolveKeyUnwrapper(ref: KeyRef, options: ResolveOptions = {}): Promise<KeyUnwrapper> {
  const keyId = kmsKeyId(ref);
  if (keyId !== undefined) {
    const { module, client } = await kms(options);
    return module.createKmsKeyUnwrapper({ client, keyId, cache: false });
  }
  const pem = await readPem(ref, 'private key');
  return inFile(ref, () => createLocalKeyUnwrapper(pem));
}

/**
 * The trusted senders for `ref`: an EC public key file, a directory (every `*.pub.pem` in it),
 * or a KMS SIGN_VERIFY key.
 */
export async function resolveTrustedSenders(ref: KeyRef, options: ResolveOptions = {}): Promise<TrustedSender[]> {
  const keyId = kmsKeyId(ref);
  if (keyId !== undefined) {
    const { module, client } = await kms(options);
    return [await module.createKmsTrustedSender({ client, keyId, mode: options.kmsVerify ?? 'local' })];
  }
  let isDirectory = false;
  try {
    isDirectory = (await stat(ref)).isDirectory();
  } catch (cause) {
    throw new SealpostError('CONFIG_INVALID', `cannot read trusted key ${ref}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  if (!isDirectory) {
    const pem = await readPem(ref, 'trusted key');
    return [inFile(ref, () => createLocalTrustedSender(pem, ref))];
  }
  // A directory may hold other keys too (RSA recipient keys): only signing keys are trusted.
  const senders: TrustedSender[] = [];
  for (const file of (await readdir(ref)).filter((f) => f.endsWith('.pub.pem')).sort()) {
    const path = join(ref, file);
    const pem = await readPem(path, 'trusted key');
    try {
      senders.push(createLocalTrustedSender(pem, path));
    } catch (error) {
      if (!(error instanceof SealpostError && error.code === 'KEY_INVALID')) throw error;
    }
  }
  if (senders.length === 0) throw new SealpostError('CONFIG_INVALID', `no EC signing keys (*.pub.pem) in ${ref}`);
  return senders;
}

/** Resolves several references of one kind, in order. */
export async function resolveAll<T>(refs: readonly KeyRef[], resolve: (ref: KeyRef) => Promise<T | T[]>): Promise<T[]> {
  return (await Promise.all(refs.map(resolve))).flat() as T[];
}
