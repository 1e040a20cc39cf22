import { rmSync } from 'node:fs';
import { discardPendingFilesSync } from '@sealpost/envelope';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const dirs = new Set<string>();

/** Registers a private temporary directory to remove if the process ends before its owner does; returns the unregister. */
export function removeOnExit(dir: string): () => void {
  dirs.add(dir);
  return () => dirs.delete(dir);
}

function removeTemporaries(): void {
  discardPendingFilesSync();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/**
 * Removes every temporary file and directory (partial envelopes, unverified plaintext) when the
 * process exits or is stopped by SIGINT, SIGTERM or SIGHUP; after a signal the process then dies
 * of that same signal, so the caller sees how it ended.
 */
export function removeTemporariesOnExit(): void {
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      removeTemporaries();
      process.kill(process.pid, signal);
    });
  }
  process.once('exit', removeTemporaries);
}
