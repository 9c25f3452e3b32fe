import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import type { Config } from "./config/env.js";
import { createContainer, type Container, type Stores } from "./container.js";
import type { Logger } from "./infra/logger.js";
import { redisReady } from "./infra/redis.js";

export interface RunningServer {
  url: string;
  container: Container;
  /** Stops accepting connections and finishes in-flight requests. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Runs on the server's own container before it listens (e.g. ensuring the first admin). */
  beforeListen?(container: Container): Promise<unknown>;
}

export async function startServer(
  config: Config,
  logger: Logger,
  stores: Stores,
  options: StartOptions = {},
): Promise<RunningServer> {
  const container = createContainer(config, logger, stores);
  if (container.redis) await redisReady(container.redis);
  await options.beforeListen?.(container);
  const httpServer = createServer({
    // Slow clients (slowloris): the whole header within headersTimeout, the
    // whole request within requestTimeout, else 408 and the socket closed;
    // checked often enough for those limits to hold.
    headersTimeout: config.httpHeadersTimeoutMs,
    requestTimeout: config.httpRequestTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.httpHeadersTimeoutMs / 4)),
  });
  const app = await createApp(container, httpServer);
  httpServer.on("request", app.handle);
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  container.cache.stream?.start();
  container.cache.resync?.start();
  return {
    url: `http://127.0.0.1:${port}`,
    container,
    // Apollo's drain plugin closes the HTTP server and waits for in-flight requests;
    // the stream consumer lets go of its lock (another instance takes over at
    // once); then the cache writer gets a last, bounded chance to flush.
    stop: async () => {
      // Sockets first (1001: clients reconnect to another instance), then HTTP.
      await app.webSocket.close();
      await app.apollo.stop();
      await container.cache.resync?.stop();
      await container.cache.stream?.stop();
      await container.cache.writer.close();
      await container.doorbell.close();
      container.metrics.close();
      if (container.redis?.status === "ready") await container.redis.quit().catch(() => undefined);
      container.redis?.disconnect();
    },
  };
}
