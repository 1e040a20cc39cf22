import type { AddressInfo } from 'node:net';
import { validateFaults, type Faults } from './faults.ts';
import { parseQuotas, validateQuotas, type Quotas } from './quotas.ts';
import { parseKeySeed, seedKeys, type KeySeed, type SeededKey } from './seed-keys.ts';
import { EmulatorServer, SUPPORTED_OPERATIONS } from './server.ts';

export type { Faults } from './faults.ts';
export type { Quotas } from './quotas.ts';
export type { KeySeed, SeededKey } from './seed-keys.ts';
export { parseKeySeed, parseQuotas };
export { SUPPORTED_OPERATIONS };

/** Options for {@link startKmsEmulator}; the {@link Faults} settings apply from the start. */
export interface KmsEmulatorOptions extends Faults {
  /** Port to listen on (0 to 65535); 0 picks a free one. @defaultValue 0 */
  readonly port?: number;
  /** Address to bind; the emulator is meant for this machine only. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** Region in ARNs when a request carries no SigV4 credential scope to read it from. @defaultValue 'us-east-1' */
  readonly region?: string;
  /** Request-rate quotas per key type, answered with ThrottlingException as KMS answers. @defaultValue none */
  readonly quotas?: Quotas;
  /** Keys to create under aliases before the first request, in the default `region`. @defaultValue none */
  readonly keys?: readonly KeySeed[];
}

/** A running emulator. */
export interface KmsEmulator {
  /** Base URL to give the AWS SDK as `endpoint` (or AWS_ENDPOINT_URL_KMS). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The keys created from the `keys` option, in its order. */
  readonly keys: readonly SeededKey[];
  /** Calls per KMS operation since start or the last reset, failed and throttled ones included. */
  calls(): Record<string, number>;
  /** Sets every call counter back to zero. */
  resetCalls(): void;
  /** Replaces the injected faults (`{}` turns them all off); throws a RangeError for a bad setting. */
  setFaults(faults: Faults): void;
  /** Replaces the request-rate quotas (`{}` lifts them); throws a RangeError for a bad setting. */
  setQuotas(quotas: Quotas): void;
  /** Stops listening and closes open connections; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an AWS KMS emulator: the KMS JSON 1.1 protocol over HTTP with real cryptography, so
 * `@aws-sdk/client-kms` talks to it unmodified. Keys live in memory.
 *
 * @example
 * ```ts
 * const kms = await startKmsEmulator();
 * const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' }));
 * kms.setFaults({ throttleEvery: 3 }); // every third call answers ThrottlingException
 * kms.setQuotas({ ecc: 300 }); // at most 300 requests per second on ECC keys, as AWS's default quota
 * console.log(kms.calls()); // { CreateKey: 1 }
 * await kms.close();
 * ```
 */
export async function startKmsEmulator(options: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
  const { port = 0, host = '127.0.0.1', region = 'us-east-1', quotas = {}, keys: seeds = [], ...faults } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer between 0 and 65535, got ${String(port)}`);
  if (!/^[a-z0-9-]+$/.test(region)) throw new RangeError(`region must look like us-east-1, got ${region}`);
  const emulator = new EmulatorServer(region, validateFaults(faults), validateQuotas(quotas));
  const keys = await seedKeys(emulator.store, region, seeds);
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(port, host, () => {
      emulator.server.off('error', reject);
      resolve();
    });
  });
  const address = emulator.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    keys,
    calls: () => emulator.calls(),
    resetCalls: () => emulator.resetCalls(),
    setFaults: (next) => emulator.faults.set(next),
    setQuotas: (next) => emulator.quotas.set(next),
    close() {
      closing ??= new Promise((resolve) => {
        emulator.server.close(() => resolve());
        emulator.server.closeAllConnections();
      });
      return closing;
    },
  };
}
