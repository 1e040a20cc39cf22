import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectory } from '../src/stream/make-directory.ts';

describe('makeDirectory', () => {
  it('creates missing parents, accepts an existing directory, and fails (never spins) where a parent cannot be created', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-mkdir-'));
    try {
      await makeDirectory(join(dir, 'a/b/c'));
      await makeDirectory(join(dir, 'a/b/c'));
      expect((await stat(join(dir, 'a/b/c'))).isDirectory()).toBe(true);
      await expect(makeDirectory('/proc/sealpost-nope/tmp')).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
