// A real server on a real port over real stores, one per test file.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type DocumentNode } from "graphql";
import { loadConfig, type Config } from "../../src/config/env";
import { createDynamo } from "../../src/infra/dynamodb/client";
import { tableNames } from "../../src/infra/dynamodb/tables";
import { createLogger } from "../../src/infra/logger";
import { createPrisma } from "../../src/infra/postgres/prisma";
import { startServer, type RunningServer } from "../../src/server";
import { createTestStores, type TestStoreOptions, type TestStores } from "./stores";

export interface GraphQLResponse<R> {
  status: number;
  data?: R | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }>;
}

export interface TestServer extends TestStores {
  url: string;
  server: RunningServer;
  config: Config;
  gql<R, V>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
    options?: { token?: string },
  ): Promise<GraphQLResponse<R>>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, storeOptions: TestStoreOptions = {}): Promise<TestServer> {
  return serve(await createTestStores(storeOptions), env);
}

/**
 * A second instance of the API on `first`'s stores (the same database and
 * table prefix) with clients of its own, as a second process would have.
 * Closing it leaves the stores to `first`.
 */
export async function startPeerServer(first: TestServer, env: Record<string, string> = {}): Promise<TestServer> {
  const prisma = createPrisma(first.databaseUrl);
  const dynamo = createDynamo({ endpoint: first.dynamoEndpoint });
  return serve(
    {
      stores: { prisma, dynamo, tables: tableNames(first.tablePrefix), databaseUrl: first.databaseUrl },
      databaseUrl: first.databaseUrl,
      dynamoEndpoint: first.dynamoEndpoint,
      tablePrefix: first.tablePrefix,
      close: async () => {
        await prisma.$disconnect();
        dynamo.raw.destroy();
        dynamo.streams.destroy();
      },
    },
    env,
  );
}

async function serve(testStores: TestStores, env: Record<string, string>): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DATABASE_URL: testStores.databaseUrl,
    DYNAMODB_ENDPOINT: testStores.dynamoEndpoint,
    DYNAMODB_TABLE_PREFIX: testStores.tablePrefix,
    JWT_SECRET: "test-secret-test-secret-test-secret!",
    // The stream catch-up polls DynamoDB Local all the time and makes cache
    // reads wait for it: on only in the files that test it.
    CACHE_STREAM: "off",
    ...env,
  });
  const server = await startServer(config, createLogger(config.logLevel), testStores.stores);
  return {
    ...testStores,
    url: server.url,
    server,
    config,
    async gql(document, variables, options = {}) {
      const query = typeof document === "string" ? document : print(document as DocumentNode);
      const response = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse<never>;
      return { status: response.status, data: body.data, errors: body.errors };
    },
    async close() {
      await server.stop();
      await testStores.close();
    },
  };
}
