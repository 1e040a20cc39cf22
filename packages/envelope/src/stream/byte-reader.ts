import { SealpostError, type ErrorCode } from '../errors.ts';

/**
 * Reads exact byte counts from an async iterable of chunks, for parsing a format whose parts
 * have known lengths. Holds at most one source chunk.
 */
export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#source = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (async function* () { yield* source; })();
  }

  async #fill(): Promise<boolean> {
    while (this.#chunk.length === 0 && !this.#done) {
      const next = await this.#source.next();
      if (next.done) this.#done = true;
      else this.#chunk = next.value;
    }
    return this.#chunk.length > 0;
  }

  /** Reads up to `n` bytes: fewer only when the input ends. */
  async read(n: number): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    let have = 0;
    while (have < n && (await this.#fill())) {
      const take = Math.min(n - have, this.#chunk.length);
      parts.push(this.#chunk.subarray(0, take));
      this.#chunk = this.#chunk.subarray(take);
      have += take;
    }
    return parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength) : Buffer.concat(parts);
  }

  /** Reads exactly `n` bytes or throws `code` (the input ended early). */
  async readExact(n: number, code: ErrorCode, message: string): Promise<Buffer> {
    const bytes = await this.read(n);
    if (bytes.length !== n) throw new SealpostError(code, message);
    return bytes;
  }

  /** Yields the next `n` bytes as they arrive, then stops; throws `code` if the input ends first. */
  async *take(n: number, code: ErrorCode, message: string): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill())) throw new SealpostError(code, message);
      const take = Math.min(left, this.#chunk.length);
      yield this.#chunk.subarray(0, take);
      this.#chunk = this.#chunk.subarray(take);
      left -= take;
    }
  }

  /** Yields everything left. */
  async *rest(): AsyncGenerator<Uint8Array> {
    while (await this.#fill()) {
      const chunk = this.#chunk;
      this.#chunk = new Uint8Array(0);
      yield chunk;
    }
  }

  /** Stops the source early (its generators run their cleanup); safe to call more than once. */
  async close(): Promise<void> {
    this.#done = true;
    this.#chunk = new Uint8Array(0);
    await this.#source.return?.();
  }

  /** True when no bytes are left. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }
}
