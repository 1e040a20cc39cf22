import { constants, createHash, createPublicKey, privateEncrypt, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { KmsError, kmsErrors } from '../errors.ts';
import { pssSign, pssVerify } from '../rsa-pss.ts';
import { algorithmHash, HASH_BYTES, signingAlgorithms } from '../specs.ts';
import type { EmulatedKey } from '../store.ts';
import { blob, oneOf, type KmsRequest, type Operation, type OperationContext } from './context.ts';

const CURVES = { ECC_NIST_P256: p256, ECC_NIST_P384: p384, ECC_NIST_P521: p521, ECC_SECG_P256K1: secp256k1 } as const;
const SIGNING_ALGORITHMS = ['ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', ...signingAlgorithms('RSA_2048')];
// DER DigestInfo prefixes (RFC 8017 9.2) for RSASSA-PKCS1-v1_5 over a given digest.
const DIGEST_INFO = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};
/** KMS signs RAW messages of at most 4096 bytes; larger ones must be sent as a DIGEST. */
const MAX_RAW_MESSAGE = 4096;

type SigningHash = 'sha256' | 'sha384' | 'sha512';

function signingKey(request: KmsRequest, { store, region }: OperationContext, operation: string): { key: EmulatedKey; algorithm: string; hash: SigningHash } {
  const key = store.usable(request.KeyId, region);
  if (key.usage !== 'SIGN_VERIFY') throw kmsErrors.invalidUsage(`${key.arn} key usage is ${key.usage} which is not valid for ${operation}.`);
  const algorithm = oneOf(request, 'SigningAlgorithm', SIGNING_ALGORITHMS);
  if (!signingAlgorithms(key.spec).includes(algorithm)) throw kmsErrors.invalidUsage(`Algorithm ${algorithm} is incompatible with key spec ${key.spec}.`);
  return { key, algorithm, hash: algorithmHash(algorithm) as SigningHash };
}

/** The digest a request is about: RAW messages are hashed here; DIGEST lengths must match the hash. */
function digestOf(request: KmsRequest, algorithm: string, hash: SigningHash): Buffer {
  const message = blob(request, 'Message');
  if (oneOf(request, 'MessageType', ['RAW', 'DIGEST'], 'RAW') === 'RAW') {
    if (message.length > MAX_RAW_MESSAGE) throw kmsErrors.validation(`Message must be at most ${MAX_RAW_MESSAGE} bytes; use MessageType DIGEST for larger messages`);
    return createHash(hash).update(message).digest();
  }
  if (message.length !== HASH_BYTES[hash]) throw kmsErrors.validation(`Digest is invalid length for algorithm ${algorithm}.`);
  return message;
}

// noble/curves takes raw scalars and points; node:crypto cannot sign or verify a given ECDSA digest.
function ecRaw(key: KeyObject): { secret: Buffer; publicKey: Buffer } {
  const jwk = key.export({ format: 'jwk' });
  return {
    secret: Buffer.from(jwk.d!, 'base64url'),
    publicKey: Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]),
  };
}

function signDigest(key: EmulatedKey, algorithm: string, hash: SigningHash, digest: Buffer): Uint8Array {
  const privateKey = key.privateKey!;
  if (algorithm.startsWith('ECDSA')) {
    // DER output; not forced to low-S, like OpenSSL and KMS.
    return CURVES[key.spec as keyof typeof CURVES].sign(digest, ecRaw(privateKey).secret, { prehash: false, format: 'der', lowS: false, extraEntropy: true });
  }
  if (algorithm.startsWith('RSASSA_PKCS1')) return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hash], digest]));
  return pssSign(privateKey, hash, digest);
}

function verifyDigest(key: EmulatedKey, algorithm: string, hash: SigningHash, digest: Buffer, signature: Buffer): boolean {
  const publicKey = createPublicKey(key.privateKey!);
  try {
    if (algorithm.startsWith('ECDSA')) {
      return CURVES[key.spec as keyof typeof CURVES].verify(signature, digest, ecRaw(key.privateKey!).publicKey, { prehash: false, format: 'der', lowS: false });
    }
    if (algorithm.startsWith('RSASSA_PKCS1')) {
      const expected = Buffer.concat([DIGEST_INFO[hash], digest]);
      const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      return recovered.length === expected.length && timingSafeEqual(recovered, expected);
    }
    return pssVerify(publicKey, hash, digest, signature);
  } catch {
    return false; // malformed signatures are invalid signatures
  }
}

/** Sign: RAW or DIGEST messages, ECDSA (DER), RSASSA-PKCS1-v1_5 or RSASSA-PSS. */
export const signOperation: Operation = (request, context) => {
  const { key, algorithm, hash } = signingKey(request, context, 'Sign');
  const signature = signDigest(key, algorithm, hash, digestOf(request, algorithm, hash));
  return { KeyId: key.arn, Signature: Buffer.from(signature).toString('base64'), SigningAlgorithm: algorithm };
};

/** Verify: SignatureValid true, or KMSInvalidSignatureException. */
export const verifyOperation: Operation = (request, context) => {
  const { key, algorithm, hash } = signingKey(request, context, 'Verify');
  const digest = digestOf(request, algorithm, hash);
  // KMS answers a signature that does not verify with an error, not with SignatureValid false.
  if (!verifyDigest(key, algorithm, hash, digest, blob(request, 'Signature'))) throw new KmsError('KMSInvalidSignatureException', '');
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm };
};
