import { SealpostError } from '../errors.ts';
import type { Signer } from '../keys/types.ts';
import type { BundleEvidence } from '../bundle/bundle.ts';
import { encodeProof, encodeStatement } from './statement.ts';
import { buildTree, leafHash } from './tree.ts';

/** Limits of one signed batch: it is signed when either is reached. */
export interface BatchSigningOptions {
  /** Most manifests under one signature (1 to 65,536). @defaultValue 256 */
  readonly maxMessages?: number;
  /** Longest a manifest waits for its batch to fill, in ms (0 to 60,000). @defaultValue 10 */
  readonly maxDelayMs?: number;
}

/** Produces what signs each manifest: a signature of its own, or a share of a batch signature. */
export interface ManifestSigner {
  /** Resolves to the bundle evidence for `manifest` (deterministic CBOR bytes). */
  sign(manifest: Uint8Array): Promise<BundleEvidence>;
  /** Signs the manifests waiting for a batch now, without waiting for the batch to fill. */
  flush(): void;
}

/** One signature per manifest: the single form. */
export function singleManifestSigner(signer: Signer): ManifestSigner {
  return { sign: async (manifest) => ({ signature: await signer.sign(manifest) }), flush: () => undefined };
}

interface Waiting {
  readonly leaf: Buffer;
  readonly resolve: (evidence: BundleEvidence) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The batch form (FORMAT.md section 15): collects manifests until `maxMessages` are waiting or
 * the first has waited `maxDelayMs`, builds the Merkle tree of their leaves, signs one batch
 * statement with `signer` (one KMS Sign for the whole batch) and gives each manifest the
 * statement, the signature and its own inclusion proof. A failed Sign fails every manifest of
 * the batch with the signer's error, transient or permanent as it is.
 */
export function createBatchSigner(signer: Signer, options: BatchSigningOptions = {}, clock: () => number = Date.now): ManifestSigner {
  const maxMessages = options.maxMessages ?? 256;
  const maxDelayMs = options.maxDelayMs ?? 10;
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 65_536) throw new SealpostError('CONFIG_INVALID', 'batchSigning.maxMessages must be between 1 and 65536');
  if (!Number.isInteger(maxDelayMs) || maxDelayMs < 0 || maxDelayMs > 60_000) throw new SealpostError('CONFIG_INVALID', 'batchSigning.maxDelayMs must be between 0 and 60000');
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;

  async function signBatch(batch: readonly Waiting[]): Promise<void> {
    try {
      const tree = buildTree(batch.map((w) => w.leaf));
      const statement = encodeStatement({ root: tree.root, count: batch.length, sender: { keyId: signer.keyId, algorithm: signer.algorithm }, created: clock() });
      const signature = await signer.sign(statement);
      batch.forEach((w, index) => w.resolve({ signature, batch: { statement, proof: encodeProof({ index, path: tree.paths[index]! }) } }));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0) return;
    const batch = waiting;
    waiting = [];
    void signBatch(batch);
  }

  return {
    sign(manifest) {
      return new Promise<BundleEvidence>((resolve, reject) => {
        waiting.push({ leaf: leafHash(manifest), resolve, reject });
        if (waiting.length >= maxMessages) flush();
        else timer ??= setTimeout(flush, maxDelayMs);
      });
    },
    flush,
  };
}
