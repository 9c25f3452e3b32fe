// GET /healthz: the process answers. GET /readyz: each store checked; 503 when
// DynamoDB (authoritative) is unreachable. PostgreSQL down is "degraded": jobs
// and logs still read from DynamoDB. Redis, when configured, is named too; down
// is "degraded" (live tails read the stores every second instead).
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { Router } from "express";
import type { Stores } from "../container.js";
import type { Doorbell } from "../live-tail/doorbell.js";

type StoreState = "up" | "down";

const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<StoreState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return "up";
  } catch {
    return "down";
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthRouter(stores: Stores, doorbell: Doorbell): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const [postgres, dynamodb, redis] = await Promise.all([
      check(() => stores.prisma.$queryRaw`SELECT 1`),
      check(() => stores.dynamo.raw.send(new DescribeTableCommand({ TableName: stores.tables.vms }))),
      doorbell.ping().then((up) => (up === null ? undefined : up ? "up" : "down")),
    ]);
    const status = dynamodb === "down" ? "unavailable" : postgres === "down" || redis === "down" ? "degraded" : "ready";
    res.status(dynamodb === "down" ? 503 : 200).json({ status, stores: { postgres, dynamodb, ...(redis ? { redis } : {}) } });
  });
  return router;
}
