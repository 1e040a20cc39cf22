import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The oldest Node.js the packages support (node:sqlite without a flag). */
export const MIN_NODE_22 = [22, 13] as const;

async function versionOf(node: string): Promise<number[] | undefined> {
  if (!existsSync(node)) return undefined;
  try {
    const { stdout } = await run(node, ['-p', 'process.versions.node'], { timeout: 60_000 });
    return stdout.trim().split('.').map(Number);
  } catch {
    return undefined;
  }
}

const supported = (v: number[] | undefined) => v !== undefined && v[0] === 22 && (v[1] ?? 0) >= MIN_NODE_22[1];

/**
 * A Node 22 binary, installed once from the npm registry (`npm install --prefix DIR node@22`)
 * into SEALPOST_NODE22_DIR or ~/.cache/sealpost/tools-node22. The install goes to a scratch
 * directory first and is moved into place whole, so an interrupted run never leaves a broken
 * binary behind; a failed download is tried again once.
 */
export async function ensureNode22(): Promise<string> {
  const dir = process.env.SEALPOST_NODE22_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sealpost', 'tools-node22');
  const node = join(dir, 'node_modules', '.bin', 'node');
  if (supported(await versionOf(node))) return node;
  const scratch = `${dir}.installing-${process.pid}`;
  for (let attempt = 1; ; attempt++) {
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    try {
      await run('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--loglevel=error', 'node@22'], { timeout: 600_000 });
      break;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
  await rm(dir, { recursive: true, force: true });
  await rename(scratch, dir);
  const version = await versionOf(node);
  if (!supported(version)) throw new Error(`npm installed Node ${version?.join('.')} into ${dir}; need 22.${MIN_NODE_22[1]} or later 22.x`);
  return node;
}
