import { open } from 'node:fs/promises';

/** Makes a rename or a new file in `dir` durable: on Linux a directory entry survives a crash only once the directory is fsynced. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
