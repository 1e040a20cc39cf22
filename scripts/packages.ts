import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..');

/** A workspace package that is published: its directory and package.json fields. */
export interface PublicPackage {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
}

/** Every package under packages/ and apps/ that is not private, in a stable order. */
export function publicPackages(): PublicPackage[] {
  const found: PublicPackage[] = [];
  for (const parent of ['packages', 'apps']) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(ROOT, parent, entry.name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean };
      if (!manifest.private) found.push({ dir, name: manifest.name, version: manifest.version });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
