import { X509Certificate, createHash } from 'node:crypto';
import { SealpostError, needs } from '../errors.ts';
import { MAX_CERTIFICATES, MAX_CERTIFICATE_BYTES } from '../bundle/bundle.ts';
import type { Manifest } from '../message.ts';
import type { Signer } from '../keys/types.ts';
import { localKeyId } from '../keys/local/key-objects.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Reads a certificate chain given by the caller: PEM text with one or more certificates (leaf
 * first, then its intermediates), or one DER certificate. Returns the DER of each, checked to
 * parse and to fit a bundle.
 */
export function parseCertificateChain(input: string | Uint8Array): Uint8Array[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const pems = [...text.matchAll(PEM_CERTIFICATE)];
  const ders = pems.length > 0 ? pems.map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : typeof input === 'string' ? [] : [Buffer.from(input)];
  if (ders.length === 0) throw new SealpostError('CONFIG_INVALID', 'no certificate found: expected PEM certificates or one DER certificate');
  parseChainShape(ders);
  return ders;
}

/** PEM text of DER certificates, one after the other. */
export function toPem(ders: readonly Uint8Array[]): string {
  return ders.map((der) => new X509Certificate(der).toString()).join('');
}

/** The SHA-256 of each certificate's DER, as the manifest's `sender.certs` lists them. */
export function certificateDigests(certificates: readonly Uint8Array[]): Uint8Array[] {
  return certificates.map((der) => createHash('sha256').update(der).digest());
}

/**
 * Checks that the certificate entries of a bundle are exactly the chain the signed manifest
 * binds: as many, in the same order, each with the listed SHA-256. A bundle without
 * certificates matches a manifest without `sender.certs`.
 */
export function checkCertificateBinding(manifest: Manifest, certificates: readonly Uint8Array[]): void {
  const bound = manifest.sender.certificates ?? [];
  needs(bound.length === certificates.length, 'CERT_CHAIN_MISMATCH', `the manifest binds ${bound.length} certificates, the bundle carries ${certificates.length}`);
  const actual = certificateDigests(certificates);
  for (let i = 0; i < bound.length; i++) {
    needs(Buffer.from(bound[i]!).equals(actual[i]!), 'CERT_CHAIN_MISMATCH', `certificate ${i} differs from the one the signature binds`);
  }
}

/**
 * Checks a sealer's chain before the first message: each certificate parses and fits a bundle,
 * and a local signer's leaf certifies its key (a KMS key's id does not name its public key; a
 * receiver then finds a mismatch when the signature does not verify with the leaf's key).
 */
export function checkSignerCertificates(signer: Signer, certificates: readonly Uint8Array[]): readonly Uint8Array[] {
  if (certificates.length === 0) return [];
  const leaves = parseChainShape(certificates);
  const leafKeyId = localKeyId(leaves[0]!.publicKey);
  if (!signer.keyId.startsWith('arn:') && leafKeyId !== signer.keyId) {
    throw new SealpostError('CONFIG_INVALID', `the certificate certifies key ${leafKeyId}, not the signing key ${signer.keyId}`);
  }
  return Object.freeze(certificates.map((der) => Buffer.from(der)));
}

/** Checks a caller's chain fits a bundle and every certificate parses; returns them parsed. */
function parseChainShape(ders: readonly Uint8Array[]): X509Certificate[] {
  if (ders.length > MAX_CERTIFICATES) throw new SealpostError('CONFIG_INVALID', `a chain may hold at most ${MAX_CERTIFICATES} certificates`);
  return ders.map((der) => {
    if (der.length > MAX_CERTIFICATE_BYTES) throw new SealpostError('CONFIG_INVALID', `a certificate may be at most ${MAX_CERTIFICATE_BYTES} bytes`);
    try {
      return new X509Certificate(der);
    } catch (cause) {
      throw new SealpostError('CONFIG_INVALID', 'not an X.509 certificate', { cause });
    }
  });
}
