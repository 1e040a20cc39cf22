import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KnownNodes } from '../src/batch/known-nodes.ts';
import { buildTree, leafHash, rootFromProof } from '../src/batch/tree.ts';
import { prng } from '../scripts/fuzz.ts';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`manifest ${i}`)));

describe('remembered tree nodes of a verified batch', () => {
  it('give exactly the root RFC 9162 computes, for valid and broken proofs in any order', () => {
    const random = prng(1206);
    const int = (n: number) => Math.floor(random() * n);
    for (const count of [1, 2, 3, 5, 7, 8, 13, 64, 100, 256, 257]) {
      const items = leaves(count);
      const tree = buildTree(items);
      const known = new KnownNodes(count, tree.root);
      for (let round = 0; round < 6 * count + 20; round++) {
        const index = int(count);
        let leaf = items[index]!;
        let claimed = index;
        let path: Buffer[] = [...tree.paths[index]!];
        switch (int(8)) {
          case 0: // another leaf's path
            path = [...tree.paths[int(count)]!];
            break;
          case 1: // a sibling changed
            if (path.length) path[int(path.length)] = createHash('sha256').update(String(round)).digest();
            break;
          case 2: // truncated
            path = path.slice(0, Math.max(0, path.length - 1 - int(2)));
            break;
          case 3: // extended
            path.push(items[int(count)]!);
            break;
          case 4: // another index
            claimed = int(count + 2) - (int(4) === 0 ? 1 : 0);
            break;
          case 5: // another leaf
            leaf = leafHash(Buffer.from(`stranger ${round}`));
            break;
          default: // valid
        }
        const expected = rootFromProof(leaf, claimed, count, path);
        const actual = known.root(leaf, claimed, path);
        expect(actual === undefined ? undefined : actual.toString('hex'), `count ${count}, index ${claimed}, round ${round}`).toBe(expected === undefined ? undefined : expected.toString('hex'));
      }
    }
  });

  it('a proof that departs from remembered nodes is hashed again, so a forged sibling above a known node fails', () => {
    const items = leaves(16);
    const tree = buildTree(items);
    const known = new KnownNodes(16, tree.root);
    for (let i = 0; i < 16; i++) expect(known.root(items[i]!, i, tree.paths[i]!)!.equals(tree.root)).toBe(true);
    const forged = [...tree.paths[5]!];
    forged[3] = Buffer.alloc(32, 7);
    expect(known.root(items[5]!, 5, forged)!.equals(tree.root)).toBe(false);
    expect(known.root(items[5]!, 5, tree.paths[5]!)!.equals(tree.root)).toBe(true);
  });
});
