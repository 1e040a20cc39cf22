import type * as NodeSqlite from 'node:sqlite';

let loaded: typeof NodeSqlite | undefined;

function isSqliteExperimentalWarning(warning: string | Error, rest: unknown[]): boolean {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type ?? (warning as Error).name;
  return type === 'ExperimentalWarning' && /SQLite/.test(String((warning as Error).message ?? warning));
}

/**
 * `node:sqlite`, loaded on first use. Node 22 flags the module experimental and prints a warning
 * when it loads; the API the store uses (prepared statements, WAL) is the one Node 24 ships as
 * stable, so on 22 that warning is noise on every command that opens a store and is not shown.
 * Every other warning is emitted as usual.
 */
export function loadNodeSqlite(): typeof NodeSqlite {
  if (loaded) return loaded;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    if (isSqliteExperimentalWarning(warning, rest)) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule('node:sqlite');
  } finally {
    process.emitWarning = emitWarning;
  }
  return loaded;
}
