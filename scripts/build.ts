/**
 * Builds every public package to JavaScript with .d.ts types in its dist/ directory, which is
 * what `pnpm pack` ships (publishConfig points exports and bin there). Development runs the
 * TypeScript sources directly and never needs this.
 *
 * One tsc run compiles all packages at once (tsconfig.build.json, into .build/), then each
 * package's src/ output moves to its dist/: cross-package imports stay bare specifiers, so
 * the emitted files do not depend on where the workspace is. The repository's LICENSE is copied
 * into each package.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { ROOT, publicPackages } from './packages.ts';

const staging = join(ROOT, '.build');
const packages = publicPackages();
rmSync(staging, { recursive: true, force: true });
for (const pkg of packages) rmSync(join(pkg.dir, 'dist'), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

for (const pkg of packages) {
  const built = join(staging, relative(ROOT, pkg.dir), 'src');
  if (!existsSync(built)) throw new Error(`${pkg.name}: nothing was built from ${relative(ROOT, pkg.dir)}/src`);
  renameSync(built, join(pkg.dir, 'dist'));
  // The license text travels with each package (pnpm pack always includes a LICENSE file).
  copyFileSync(join(ROOT, 'LICENSE'), join(pkg.dir, 'LICENSE'));
  const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as { publishConfig?: { bin?: Record<string, string> } };
  for (const bin of Object.values(manifest.publishConfig?.bin ?? {})) chmodSync(join(pkg.dir, bin), 0o755);
}
rmSync(staging, { recursive: true, force: true });
console.log(`built ${packages.map((p) => p.name).join(', ')}`);
