import { buildApp } from 'fauxqs';

/** A running fauxqs serving SQS and S3 on 127.0.0.1, recording every request it serves. */
export interface AwsEmulator {
  /** Endpoint URL for SQS and S3 clients, e.g. http://127.0.0.1:40123. */
  readonly address: string;
  /** Every request served so far, as `METHOD path` without the query (S3 requests are path-style: `/bucket/key`). */
  readonly requests: readonly string[];
  /** Creates an S3 bucket. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (SQS and S3 on one endpoint) on 127.0.0.1 and a free port. Every request is
 * recorded on the server side, so a test can show that an object was never read (no GET of it)
 * or deleted, whatever the code under test claims.
 */
export async function startAwsEmulator(): Promise<AwsEmulator> {
  const app = buildApp({ logger: false });
  const requests: string[] = [];
  app.addHook('onRequest', async (request) => {
    requests.push(`${request.method} ${request.url.split('?')[0]}`);
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    address,
    requests,
    async createBucket(name) {
      const response = await fetch(`${address}/${name}`, { method: 'PUT' });
      if (!response.ok) throw new Error(`cannot create bucket ${name}: ${response.status}`);
    },
    stop: () => app.close(),
  };
}

/** The S3 requests of one method the emulator served for a bucket's objects (`GET` reads, `DELETE` deletes). */
export function s3Requests(emulator: AwsEmulator, bucket: string, method: 'GET' | 'DELETE' | 'PUT' | 'HEAD'): string[] {
  return emulator.requests.filter((r) => r.startsWith(`${method} /${bucket}/`) && r.length > `${method} /${bucket}/`.length);
}

// Run directly (`node test/support/aws-emulator.ts`), it serves until killed and prints its address.
if (import.meta.main) {
  const emulator = await startAwsEmulator();
  process.stdout.write(`${emulator.address}\n`);
  process.on('SIGTERM', () => void emulator.stop().then(() => process.exit(0)));
}
