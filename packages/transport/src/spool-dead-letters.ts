import { readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SealpostError, syncDirectory } from '@sealpost/envelope';
import { selects, type DeadLetter, type DeadLetterBox, type DeadLetterSelection } from './dead-letters.ts';
import { parseSpoolName, spoolName } from './spool.ts';

const REASON = '.reason.json';

/**
 * The dead letters of a spool directory: the files of `dead/`, each with `<name>.reason.json`.
 *
 * Redrive renames the file into `incoming/` under a fresh name (due now, attempt 1, same id),
 * fsyncs the directory, then deletes the reason file. The rename is atomic, so a crash at any
 * point leaves the envelope in exactly one of `dead/` and `incoming/`: never lost, never twice.
 * A reason file left without its envelope by such a crash is not listed and is deleted by the
 * next purge.
 */
export function createSpoolDeadLetters(directory: string): DeadLetterBox {
  const dead = join(directory, 'dead');
  const incoming = join(directory, 'incoming');

  async function names(): Promise<string[]> {
    try {
      return (await readdir(dead)).sort();
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SealpostError('TRANSPORT_UNAVAILABLE', `spool ${directory}: cannot read dead/: ${(cause as Error).message}`, { cause });
    }
  }

  async function describe(name: string): Promise<DeadLetter> {
    const parsed = parseSpoolName(name);
    let recorded: { code?: string; reason?: string; at?: string; attempt?: number } = {};
    try {
      recorded = JSON.parse(await readFile(join(dead, `${name}${REASON}`), 'utf8')) as typeof recorded;
    } catch {
      // No readable reason beside it: listed with code UNKNOWN, so it can still be seen and handled.
    }
    return {
      id: parsed?.id ?? name,
      transportId: name,
      code: recorded.code ?? 'UNKNOWN',
      reason: recorded.reason ?? 'no reason recorded',
      at: recorded.at,
      attempts: recorded.attempt,
      size: (await stat(join(dead, name))).size,
    };
  }

  async function list(): Promise<DeadLetter[]> {
    const all = await names();
    const entries = all.filter((n) => !n.endsWith(REASON));
    return Promise.all(entries.map(describe));
  }

  return {
    list,
    async get(id) {
      const letter = (await list()).find((l) => selects({ ids: [id] }, l));
      return letter && { ...letter, envelope: await readFile(join(dead, letter.transportId)) };
    },
    async redrive(selection: DeadLetterSelection) {
      const moved: DeadLetter[] = [];
      for (const letter of (await list()).filter((l) => selects(selection, l))) {
        const id = parseSpoolName(letter.transportId)?.id ?? letter.transportId.replace(/[^\w-]/g, '_');
        await rename(join(dead, letter.transportId), join(incoming, spoolName(Date.now(), 1, id)));
        await syncDirectory(incoming);
        await unlink(join(dead, `${letter.transportId}${REASON}`)).catch(() => undefined);
        moved.push(letter);
      }
      return moved;
    },
    async purge(selection: DeadLetterSelection) {
      const removed: DeadLetter[] = [];
      for (const letter of (await list()).filter((l) => selects(selection, l))) {
        await unlink(join(dead, letter.transportId));
        await unlink(join(dead, `${letter.transportId}${REASON}`)).catch(() => undefined);
        removed.push(letter);
      }
      if ('all' in selection) {
        const all = await names();
        for (const orphan of all.filter((n) => n.endsWith(REASON) && !all.includes(n.slice(0, -REASON.length)))) await unlink(join(dead, orphan)).catch(() => undefined);
      }
      return removed;
    },
    close: async () => undefined,
  };
}
