import { constants, createCipheriv, createDecipheriv, createSecretKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from 'node:crypto';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose';
import {
  NodeCachingMaterialsManager,
  RawRsaKeyringNode,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
} from '@aws-crypto/client-node';
import {
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createTrustStore,
} from '@sealpost/envelope';

/** A way to seal and open one message: Sealpost or a peer. */
export interface Contender {
  readonly name: string;
  seal(payload: Buffer): Promise<Uint8Array | string>;
  open(sealed: Uint8Array | string): Promise<unknown>;
}

/** Keys shared by every contender: a P-256 signer and an RSA-4096 recipient. */
export function benchKeys() {
  const signing = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const encryption = generateKeyPairSync('rsa', { modulusLength: 4096 });
  return { signing, encryption };
}

type Keys = ReturnType<typeof benchKeys>;

/** Sealpost with a fresh data key per message, or with data-key reuse and the receiver cache. */
export function sealpost(keys: Keys, reuse: boolean): Contender {
  const sealer = createSealer({
    signer: createLocalSigner(keys.signing.privateKey),
    recipients: [createLocalKeyWrapper(keys.encryption.publicKey)],
    dataKeyReuse: reuse,
  });
  const opener = createOpener({
    keys: createLocalKeyUnwrapper(keys.encryption.privateKey),
    trust: createTrustStore([createLocalTrustedSender(keys.signing.publicKey)]),
    dataKeyCache: reuse ? {} : false,
  });
  return {
    name: reuse ? 'Sealpost, data-key reuse + receiver cache' : 'Sealpost, data key per message',
    seal: async (payload) => (await sealer.seal(payload, { name: 'message.json', contentType: 'application/json' })).envelope,
    open: (sealed) => opener.open(sealed as Uint8Array),
  };
}

/** panva/jose: a nested JWT — CompactSign ES256, then CompactEncrypt RSA-OAEP-256 + A256GCM. */
export function jose(keys: Keys): Contender {
  const encoder = new TextEncoder();
  return {
    name: 'jose nested JWT (ES256, RSA-OAEP-256 + A256GCM)',
    async seal(payload) {
      const jws = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256' }).sign(keys.signing.privateKey);
      return new CompactEncrypt(encoder.encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' }).encrypt(keys.encryption.publicKey);
    },
    async open(sealed) {
      const { plaintext } = await compactDecrypt(sealed as string, keys.encryption.privateKey);
      return compactVerify(new TextDecoder().decode(plaintext), keys.signing.publicKey);
    },
  };
}

/** The AWS Encryption SDK: raw RSA keyring (OAEP-SHA-256), default signing suite; optionally caching. */
export function esdk(keys: Keys, caching: boolean): Contender {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawRsaKeyringNode({
    keyName: 'receiver',
    keyNamespace: 'bench',
    rsaKey: {
      privateKey: keys.encryption.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      publicKey: keys.encryption.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    },
    padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256',
  });
  const manager = caching
    ? new NodeCachingMaterialsManager({ backingMaterials: keyring, cache: getLocalCryptographicMaterialsCache(1000), maxAge: 300_000, maxMessagesEncrypted: 10_000 })
    : keyring;
  return {
    name: caching ? 'AWS Encryption SDK, caching materials manager' : 'AWS Encryption SDK, raw RSA keyring',
    seal: async (payload) => (await encrypt(manager, payload, { plaintextLength: payload.length })).result,
    open: (sealed) => decrypt(manager, sealed as Uint8Array),
  };
}

/**
 * The minimal hand-rolled pipeline: sign the payload, concatenate signature and payload,
 * AES-256-GCM under a data key wrapped once with RSA-OAEP. No format, no limits, no
 * recipient binding, no streaming: the floor of what such code costs.
 */
export function handRolled(keys: Keys): Contender {
  const dataKey = randomBytes(32);
  const key = createSecretKey(dataKey);
  const wrapped = publicEncrypt({ key: keys.encryption.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dataKey);
  let unwrapped: ReturnType<typeof createSecretKey> | undefined;
  return {
    name: 'hand-rolled node:crypto, reused data key',
    async seal(payload) {
      const signature = await new Promise<Buffer>((resolve, reject) => sign('sha256', payload, keys.signing.privateKey, (e, s) => (e ? reject(e) : resolve(s))));
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const head = Buffer.alloc(2);
      head.writeUInt16BE(signature.length);
      const body = Buffer.concat([cipher.update(head), cipher.update(signature), cipher.update(payload), cipher.final()]);
      return Buffer.concat([wrapped, iv, body, cipher.getAuthTag()]);
    },
    async open(sealed) {
      const bytes = sealed as Buffer;
      unwrapped ??= createSecretKey(privateDecrypt({ key: keys.encryption.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, bytes.subarray(0, 512)));
      const decipher = createDecipheriv('aes-256-gcm', unwrapped, bytes.subarray(512, 524));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const plain = Buffer.concat([decipher.update(bytes.subarray(524, bytes.length - 16)), decipher.final()]);
      const length = plain.readUInt16BE(0);
      const payload = plain.subarray(2 + length);
      const ok = await new Promise<boolean>((resolve) => verify('sha256', payload, keys.signing.publicKey, plain.subarray(2, 2 + length), (e, v) => resolve(!e && v)));
      if (!ok) throw new Error('bad signature');
      return payload;
    },
  };
}
