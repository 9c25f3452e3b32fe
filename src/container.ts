// Builds the long-lived parts once at start: repositories over the stores and
// the services over them. Transports (GraphQL, REST) only ever see services.
import type { Config } from "./config/env";
import { createTokenIssuer, type TokenIssuer } from "./auth/token";
import type { Dynamo } from "./infra/dynamodb/client";
import type { TableNames } from "./infra/dynamodb/tables";
import type { Logger } from "./infra/logger";
import type { PrismaClient } from "./infra/postgres/prisma";
import { CommandRepository } from "./commands/command.repository";
import { createMetrics, type Metrics } from "./metrics/metrics";
import { UserRepository } from "./users/user.repository";
import { UserService } from "./users/user.service";
import { VmRepository } from "./vms/vm.repository";
import { VmService } from "./vms/vm.service";

export interface Stores {
  prisma: PrismaClient;
  dynamo: Dynamo;
  tables: TableNames;
}

export interface Repositories {
  users: UserRepository;
  vms: VmRepository;
}

export interface Services {
  vms: VmService;
  users: UserService;
}

export interface Container {
  config: Config;
  logger: Logger;
  stores: Stores;
  tokens: TokenIssuer;
  /** This app's Prometheus registry; `metrics.cache` is what the cache reports through. */
  metrics: Metrics;
  repositories: Repositories;
  services: Services;
}

export function createContainer(config: Config, logger: Logger, stores: Stores): Container {
  // First, so repositories and services can report through metrics.cache.
  const metrics = createMetrics({ dynamo: stores.dynamo.raw, prisma: stores.prisma });
  const repositories: Repositories = {
    users: new UserRepository(stores.prisma),
    vms: new VmRepository(stores.dynamo.doc, stores.tables.vms),
  };
  const tokens = createTokenIssuer(config.jwtSecret, config.tokenTtlHours);
  const services: Services = {
    vms: new VmService(repositories.vms),
    users: new UserService(
      repositories.users,
      new CommandRepository(stores.dynamo.doc, stores.tables.commands),
      tokens,
      logger,
    ),
  };
  return {
    config,
    logger,
    stores,
    tokens,
    metrics,
    repositories,
    services,
  };
}
