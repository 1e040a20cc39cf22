import type { Operation } from './context.ts';

/** CreateAlias: `alias/name` for a key id or key ARN, unique per region. */
export const createAlias: Operation = (request, { store, region }) => {
  store.createAlias(region, request.AliasName, request.TargetKeyId);
  return {};
};

/** ListAliases: the region's aliases, or one key's (no pagination). */
export const listAliases: Operation = (request, { store, region }) => ({ Aliases: store.aliases(region, request.KeyId), Truncated: false });
