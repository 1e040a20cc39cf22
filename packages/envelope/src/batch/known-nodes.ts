import { nodeHash, split } from './tree.ts';

// A node's position: its depth below the root and the index of its first leaf (nodes at one depth
// cover disjoint leaf ranges). Depth <= 32 and index < 2^32, so the number stays a safe integer.
const position = (depth: number, first: number) => depth * 0x100000000 + first;

/** Most nodes remembered for one statement: a batch of 2,048 leaves in full, parts of larger ones. */
const MAX_NODES = 4096;

/**
 * The tree nodes that inclusion proofs of one verified batch statement led through, by position,
 * so the next proof of the same batch stops hashing where it meets them: read in order, the
 * messages of a batch cost one or two hashes each instead of one per level.
 *
 * Exact, not a shortcut: a remembered parent is the hash of the two children remembered beside it,
 * and it is used only where the computed node and the given sibling equal those children byte
 * for byte, so {@link KnownNodes.root} returns what RFC 9162's computation (`rootFromProof`)
 * returns for every input, malformed proofs included (short of a SHA-256 collision, which the
 * whole construction already rules out). Nodes are remembered only from proofs that led to the
 * signed root, and at most {@link MAX_NODES} of them.
 */
export class KnownNodes {
  private readonly nodes = new Map<number, Buffer>();
  readonly count: number;
  readonly signedRoot: Uint8Array;

  constructor(count: number, signedRoot: Uint8Array) {
    this.count = count;
    this.signedRoot = signedRoot;
  }

  /**
   * The root that `path` leads to from `leaf` at `index` (undefined when the index is out of
   * range or the path is not exactly as long as the leaf's), remembering its nodes when it is the
   * signed root.
   */
  root(leaf: Buffer, index: number, path: readonly Uint8Array[]): Buffer | undefined {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < this.count)) return undefined;
    // From the root down (RFC 9162 2.1.1): where the leaf's node and its sibling start, per depth.
    const nodeFirst: number[] = [0];
    const siblingFirst: number[] = [0];
    const isLeft: boolean[] = [false];
    for (let first = 0, end = this.count; end - first > 1; ) {
      const middle = first + split(end - first);
      if (index < middle) {
        siblingFirst.push(middle);
        isLeft.push(true);
        end = middle;
      } else {
        siblingFirst.push(first);
        isLeft.push(false);
        first = middle;
      }
      nodeFirst.push(first);
    }
    const depth = nodeFirst.length - 1;
    if (path.length !== depth) return undefined;
    const computed: [number, Buffer][] = [];
    let r = leaf;
    for (let d = depth; d > 0; d--) {
      const p = path[depth - d]!;
      const node = position(d, nodeFirst[d]!);
      const sibling = position(d, siblingFirst[d]!);
      const parent = position(d - 1, nodeFirst[d - 1]!);
      const knownParent = this.nodes.get(parent);
      if (knownParent && same(this.nodes.get(node), r) && same(this.nodes.get(sibling), p)) {
        r = knownParent;
        continue;
      }
      const next = isLeft[d] ? nodeHash(r, p) : nodeHash(p, r);
      computed.push([node, r], [sibling, Buffer.from(p.buffer, p.byteOffset, p.byteLength)], [parent, next]);
      r = next;
    }
    if (computed.length > 0 && this.nodes.size + computed.length <= MAX_NODES && r.equals(this.signedRoot)) {
      for (const [at, value] of computed) if (!this.nodes.has(at)) this.nodes.set(at, value);
    }
    return r;
  }
}

function same(known: Buffer | undefined, value: Uint8Array): boolean {
  return known !== undefined && (known === value || known.equals(value));
}
