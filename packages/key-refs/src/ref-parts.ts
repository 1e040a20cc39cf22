import { readFile } from 'node:fs/promises';
import { SealpostError } from '@sealpost/envelope';
import type { KeyRef, ResolveOptions } from './resolve.ts';

const KMS_PREFIX = 'kms:';

/** The KMS key a `kms:` reference names; undefined for a file. */
export function kmsKeyId(ref: KeyRef): string | undefined {
  if (!ref.startsWith(KMS_PREFIX)) return undefined;
  const id = ref.slice(KMS_PREFIX.length);
  if (!id) throw new SealpostError('CONFIG_INVALID', `key reference ${JSON.stringify(ref)} names no KMS key`);
  return id;
}

type AwsKms = typeof import('@sealpost/aws-kms');

/** The KMS module, loaded on first use, and a client for the options. */
export async function kms(options: ResolveOptions): Promise<{ module: AwsKms; client: ReturnType<AwsKms['createKmsClient']> }> {
  const module = await import('@sealpost/aws-kms');
  const client = module.createKmsClient(options.onKmsCall ? { onCall: options.onKmsCall } : {});
  return { module, client };
}

/** A PEM file's text; an unreadable file is CONFIG_INVALID naming it. */
export async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new SealpostError('CONFIG_INVALID', `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

/** Where a key went wrong, with the file it came from. */
export function inFile<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof SealpostError) throw new SealpostError(error.code, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
