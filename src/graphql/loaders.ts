// DataLoaders, created per request so nothing cached outlives the request that
// read it. Each batches by store: one Prisma query, or BatchGetItem per 100 keys.
import DataLoader from "dataloader";
import type { Actor } from "../auth/permissions.js";
import type { Repositories, Services } from "../container.js";
import type { Command } from "../commands/command.model.js";
import type { Job } from "../jobs/job.model.js";
import type { JobPageArgs } from "../jobs/job.service.js";
import type { LogLine } from "../logs/log-line.model.js";
import type { LogPageArgs } from "../logs/log-line.service.js";
import type { Page } from "../shared/pagination.js";
import type { User } from "../users/user.model.js";
import type { Vm } from "../vms/vm.model.js";

export interface Loaders {
  userById: DataLoader<string, User | null>;
  vmById: DataLoader<string, Vm | null>;
}

/** Loaders that go through a service (its rules and the cache), so they need the request's actor. */
export interface ServiceLoaders {
  /** Vm.jobs for every VM of a page with the same arguments: one cache query for all of them. */
  jobsOfVm(args: JobPageArgs): DataLoader<Vm, Page<Job>, string>;
  /** Vm.commands for every VM of a page with the same arguments, answered together. */
  commandsOfVm(args: { first?: number | null; after?: string | null }): DataLoader<Vm, Page<Command>, string>;
  /** Job.logs for every job of a page with the same arguments: one cache query for all of them. */
  logsOfJob(args: LogPageArgs): DataLoader<Job, Page<LogLine>, string>;
  /** Command.jobs for every command of a page with the same arguments, answered together. */
  jobsOfCommand(args: JobPageArgs): DataLoader<Command, Page<Job>, string>;
}

export type RequestLoaders = Loaders & ServiceLoaders;

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

/** One loader per distinct argument set, created on first use; parents are keyed by id. */
function perArgs<P extends { id: string }, A, V>(
  batch: (parents: readonly P[], args: A) => Promise<Array<V | Error>>,
): (args: A) => DataLoader<P, V, string> {
  const loaders = new Map<string, DataLoader<P, V, string>>();
  return (args) => {
    const key = JSON.stringify(args);
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader((parents) => batch(parents, args), { cacheKeyFn: (parent) => parent.id });
      loaders.set(key, loader);
    }
    return loader;
  };
}

export function createServiceLoaders(services: Services, actor: Actor | null): ServiceLoaders {
  return {
    jobsOfVm: perArgs((vms, args: JobPageArgs) => services.jobs.listForVms(actor, vms, args)),
    commandsOfVm: perArgs((vms, args: { first?: number | null; after?: string | null }) =>
      services.commands.listForVms(actor, vms, args),
    ),
    logsOfJob: perArgs((jobs: readonly Job[], args: LogPageArgs) => services.logs.listForJobs(actor, jobs, args)),
    jobsOfCommand: perArgs((commands: readonly Command[], args: JobPageArgs) => services.jobs.listForCommands(actor, commands, args)),
  };
}
