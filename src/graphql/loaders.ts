// DataLoaders, created per request so nothing cached outlives the request that
// read it. Each batches by store: one Prisma query, or BatchGetItem per 100 keys.
import DataLoader from "dataloader";
import type { Repositories } from "../container";
import type { User } from "../users/user.model";
import type { Vm } from "../vms/vm.model";

export interface Loaders {
  userById: DataLoader<string, User | null>;
  vmById: DataLoader<string, Vm | null>;
}

/** Orders `found` as `keys`, with null where an item is missing (DataLoader's contract). */
export function byKeys<K, V>(keys: readonly K[], found: V[], keyOf: (value: V) => K): (V | null)[] {
  const index = new Map(found.map((value) => [keyOf(value), value]));
  return keys.map((key) => index.get(key) ?? null);
}

export function createLoaders(repositories: Repositories): Loaders {
  return {
    userById: new DataLoader(async (ids) => byKeys(ids, await repositories.users.findByIds(ids), (u) => u.id)),
    vmById: new DataLoader(async (ids) => byKeys(ids, await repositories.vms.getMany(ids), (vm) => vm.id), {
      maxBatchSize: 100,
    }),
  };
}
