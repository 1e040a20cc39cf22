import { buildApp } from 'fauxqs';

/** A running fauxqs SQS emulator. */
export interface SqsEmulator {
  /** Endpoint URL for the SQS client, e.g. http://127.0.0.1:40123. */
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * Starts the fauxqs SQS emulator on 127.0.0.1 and a free port. fauxqs's own `startFauxqs`
 * listens on every interface; test servers here stay on the loopback address.
 */
export async function startSqsEmulator(): Promise<SqsEmulator> {
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { address, stop: () => app.close() };
}

// Run directly (`node test/support/sqs-emulator.ts`), it serves until killed and prints its address.
if (import.meta.main) {
  const emulator = await startSqsEmulator();
  process.stdout.write(`${emulator.address}\n`);
  process.on('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
}
