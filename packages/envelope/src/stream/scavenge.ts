import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps the memory of a long transfer flat. Streaming a large envelope allocates a buffer per
 * chunk (socket reads, frames, parts); each dies soon, but its JavaScript wrapper is a few bytes,
 * so V8 collects only after tens of MiB of dead buffers have piled up (its external-memory
 * trigger is 64 MiB). Counting the bytes that pass and collecting every `minorBytes` (young
 * objects) and every `majorBytes` (also the buffers that lived long enough to be promoted: a part
 * being filled, a write batch) frees them early; each collection takes about a millisecond on a
 * small heap. Where V8 does not expose its GC, the returned function does nothing.
 */
export function createScavenger(minorBytes = 4 * 1024 * 1024, majorBytes = 32 * 1024 * 1024): (bytes: number) => void {
  const gc = exposedGc();
  if (!gc) return () => undefined;
  let sinceMinor = 0;
  let sinceMajor = 0;
  return (bytes) => {
    sinceMinor += bytes;
    sinceMajor += bytes;
    if (sinceMajor >= majorBytes) {
      sinceMajor = sinceMinor = 0;
      gc({ type: 'major' });
    } else if (sinceMinor >= minorBytes) {
      sinceMinor = 0;
      gc({ type: 'minor' });
    }
  };
}

/**
 * Runs `work` with a collection every `intervalMs` (a full one every tenth): for a transfer whose
 * bytes pass out of reach of {@link createScavenger} (a store copying a payload file, say).
 */
export async function scavengeWhile<T>(work: () => Promise<T>, intervalMs = 100): Promise<T> {
  const gc = exposedGc();
  if (!gc) return work();
  let ticks = 0;
  const timer = setInterval(() => gc({ type: ++ticks % 10 === 0 ? 'major' : 'minor' }), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

type Gc = (options: { type: 'minor' | 'major' }) => void;
let cached: Gc | null | undefined;

/** V8's GC, exposed once per process (`--expose-gc` set at run time, read from a fresh context). */
function exposedGc(): Gc | null {
  if (cached !== undefined) return cached;
  try {
    setFlagsFromString('--expose-gc');
    cached = runInNewContext('gc') as Gc;
  } catch {
    cached = null;
  }
  return cached;
}
