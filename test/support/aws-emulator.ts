import { startFauxqs, type FauxqsServer } from 'fauxqs';

/** A running fauxqs serving SQS and S3, with its message spy (SQS and S3 events) on. */
export interface AwsEmulator {
  /** Endpoint URL for SQS and S3 clients, e.g. http://127.0.0.1:40123. */
  readonly address: string;
  /** The emulator itself: buckets, queues, and the spy that records every S3 GetObject/DeleteObject. */
  readonly server: FauxqsServer;
  stop(): Promise<void>;
}

/** Starts fauxqs on 127.0.0.1 and a free port with spying on (a large buffer: tests look back over a whole run). */
export async function startAwsEmulator(): Promise<AwsEmulator> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false, messageSpies: { bufferSize: 100_000 } });
  return { address: `http://127.0.0.1:${server.port}`, server, stop: () => server.stop() };
}

/** S3 events (downloaded, deleted, uploaded) the spy saw for one bucket. */
export function s3Events(emulator: AwsEmulator, bucket: string, status?: 'uploaded' | 'downloaded' | 'deleted'): { key: string; status: string }[] {
  return emulator.server.spy
    .getAllMessages()
    .filter((m) => m.service === 's3' && m.bucket === bucket && (status === undefined || m.status === status))
    .map((m) => ({ key: (m as { key: string }).key, status: m.status }));
}
