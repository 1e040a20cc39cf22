import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * ECDSA sign with a DER signature. A P-256 signature is made on the calling thread: it takes
 * 20 to 30 µs, less than a round trip through libuv's thread pool (measured at 90 to 220 µs on a
 * 2-vCPU machine) and far too short to delay a queue heartbeat; a sender sending one message at
 * a time is then about twice as fast, and one sending many no slower (measured). The other
 * curves take 0.4 to 2.5 ms and sign on the pool.
 *
 * The KeyObject is passed bare: DER is the default encoding, and an options object around the
 * key makes Node re-import it (measured at about 30 µs per call).
 */
export function ecdsaSign(hash: string, data: Uint8Array, key: KeyObject): Promise<Buffer> {
  if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    try {
      return Promise.resolve(sign(hash, data, key));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  return new Promise((resolve, reject) => {
    sign(hash, data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/**
 * ECDSA verify of a DER signature on libuv's thread pool, every curve: a receiver verifies many
 * messages at once, and then a verification (about 70 µs on P-256) runs on another core beside
 * the event loop's own work; with eight in flight that opened about a quarter more messages per
 * second than verifying on the calling thread (measured on 2 vCPUs). Resolves false for any
 * signature that does not verify.
 */
export function ecdsaVerify(hash: string, data: Uint8Array, key: KeyObject, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    verify(hash, data, key, signature, (error, ok) => resolve(!error && ok));
  });
}
