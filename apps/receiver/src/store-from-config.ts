import { openStore, type MessageStore } from '@sealpost/store';
import type { ReceiverConfig } from './config.ts';

/**
 * The store the settings name: SEALPOST_STORE, with large payloads in SEALPOST_BLOB_STORE (unset:
 * the store's default, `blobs/` beside a SQLite file, none for the others) above
 * SEALPOST_INLINE_PAYLOAD_MAX bytes.
 */
export function storeFromConfig(config: Pick<ReceiverConfig, 'store' | 'blobStore' | 'inlinePayloadMax'>): MessageStore {
  return openStore(config.store, { ...(config.blobStore ? { blobs: config.blobStore } : {}), inlinePayloadMax: config.inlinePayloadMax });
}
