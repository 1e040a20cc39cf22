import { pipeline, Readable, type Transform } from 'node:stream';

/**
 * Runs an async iterable through a Node transform (gzip, gunzip) and returns the transform to
 * iterate. An error on either side ends both, and surfaces to whoever iterates.
 */
export function through(source: AsyncIterable<Uint8Array>, transform: Transform): AsyncIterable<Buffer> {
  pipeline(Readable.from(source, { objectMode: false }), transform, () => undefined);
  return transform;
}
