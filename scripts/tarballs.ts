/**
 * `npm run tarballs -- DIR`: builds every public package and packs it with `pnpm pack` into DIR
 * (default .tmp/tarballs), as it would be published: exports and bin from publishConfig,
 * workspace:* versions replaced by real ones. Prints each tarball with its size.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, publicPackages } from './packages.ts';

const out = resolve(process.argv[2] ?? join(ROOT, '.tmp/tarballs'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(process.execPath, [join(ROOT, 'scripts/build.ts')], { stdio: ['ignore', 'ignore', 'inherit'] });
for (const pkg of publicPackages()) {
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: pkg.dir, stdio: ['ignore', 'ignore', 'inherit'] });
}
for (const file of readdirSync(out).sort()) {
  console.log(`${file}\t${statSync(join(out, file)).size}`);
}
