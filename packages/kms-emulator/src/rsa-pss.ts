import { constants, createHash, privateDecrypt, publicEncrypt, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

// RSASSA-PSS over a given digest (RFC 8017 8.1, EMSA-PSS 9.1) with MGF1 of the same hash and a
// salt as long as the hash, as KMS signs. node:crypto only signs whole messages, so the encoding
// is done here and the RSA primitive runs through the unpadded private/public operations.

type Hash = 'sha256' | 'sha384' | 'sha512';

function mgf1(hash: Hash, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0, size = 0; size < length; i++) {
    counter.writeUInt32BE(i);
    const block = createHash(hash).update(seed).update(counter).digest();
    blocks.push(block);
    size += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function geometry(key: KeyObject): { k: number; emBits: number; emLen: number } {
  const modulusBits = key.asymmetricKeyDetails?.modulusLength;
  if (!modulusBits) throw new Error('RSASSA-PSS needs an RSA key');
  const emBits = modulusBits - 1;
  return { k: Math.ceil(modulusBits / 8), emBits, emLen: Math.ceil(emBits / 8) };
}

const messagePrime = (hash: Hash, digest: Buffer, salt: Buffer) => createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();

/** Signs `digest` (already hashed with `hash`) with RSASSA-PSS. */
export function pssSign(privateKey: KeyObject, hash: Hash, digest: Buffer): Buffer {
  const { k, emBits, emLen } = geometry(privateKey);
  const hLen = digest.length;
  const salt = randomBytes(hLen);
  const h = messagePrime(hash, digest, salt);
  const db = Buffer.alloc(emLen - hLen - 1);
  db[db.length - hLen - 1] = 0x01;
  salt.copy(db, db.length - hLen);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([Buffer.alloc(k - emLen), db, h, Buffer.of(0xbc)]);
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
}

/** Checks an RSASSA-PSS signature over `digest`; false for any malformed or wrong signature. */
export function pssVerify(publicKey: KeyObject, hash: Hash, digest: Buffer, signature: Buffer): boolean {
  const { k, emBits, emLen } = geometry(publicKey);
  const hLen = digest.length;
  if (signature.length !== k) return false;
  let m: Buffer;
  try {
    m = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false; // signature not below the modulus
  }
  if (m.subarray(0, k - emLen).some((byte) => byte !== 0)) return false;
  const em = m.subarray(k - emLen);
  const topBits = 0xff >> (8 * emLen - emBits);
  if (em[emLen - 1] !== 0xbc || (em[0]! & ~topBits) !== 0) return false;
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= topBits;
  const separator = db.length - hLen - 1;
  if (separator < 0 || db.subarray(0, separator).some((byte) => byte !== 0) || db[separator] !== 0x01) return false;
  return timingSafeEqual(h, messagePrime(hash, digest, db.subarray(separator + 1)));
}
