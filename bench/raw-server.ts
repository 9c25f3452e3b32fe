// The raw baseline: the same store reads and writes as each scenario, straight
// with `pg` and the DynamoDB document client over plain node:http. No GraphQL,
// no Prisma, no DataLoader, no validation beyond what a crash would need. It
// does authenticate like the API (JWT verify + the user row), since that is
// store work the API does on every request.
//
// Env: BENCH_DATABASE_URL, DYNAMODB_ENDPOINT, DYNAMODB_TABLE_PREFIX, JWT_SECRET, PORT.
// Prints {"url": ...} on stdout once listening.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BatchWriteCommand, GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { bearerToken, createTokenIssuer } from "../src/auth/token";
import { backoff } from "../src/infra/dynamodb/batch-get";
import { createDynamo } from "../src/infra/dynamodb/client";
import { tableNames } from "../src/infra/dynamodb/tables";
import { fromMicros, nowLogTimestamp, toMicros } from "../src/shared/log-timestamp";

const env = process.env;
const UNPROCESSED_ROUNDS = 8;
const db = new pg.Pool({ connectionString: env.BENCH_DATABASE_URL, max: 10 });
// Our API's client (src/infra/dynamodb/client.ts): the same retry policy (retry.ts) for timeouts, 5xx and throttling.
const dynamo = createDynamo({
  endpoint: env.DYNAMODB_ENDPOINT,
  // The API's knobs of the same names (README, configuration), when the runner sets them.
  retry: {
    ...(env.DYNAMODB_ATTEMPT_TIMEOUT_MS ? { attemptTimeoutMs: Number(env.DYNAMODB_ATTEMPT_TIMEOUT_MS) } : {}),
    ...(env.DYNAMODB_RETRY_BUDGET_MS ? { totalBudgetMs: Number(env.DYNAMODB_RETRY_BUDGET_MS) } : {}),
  },
});
const tables = tableNames(env.DYNAMODB_TABLE_PREFIX ?? "");
const tokens = createTokenIssuer(env.JWT_SECRET, 1);

// Store calls, read by the runner at GET /calls.
const calls = { postgres: 0, dynamodb: 0 };
const sql = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
  calls.postgres++;
  return db.query<R>(text, values);
};
const send = ((command: Parameters<typeof dynamo.doc.send>[0]) => {
  calls.dynamodb++;
  return dynamo.doc.send(command);
}) as typeof dynamo.doc.send;

// Microseconds survive only as text: node-postgres turns timestamptz into a millisecond Date.
const TS = `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function authenticate(req: IncomingMessage): Promise<{ id: string; role: string }> {
  const token = bearerToken(req.headers.authorization);
  const userId = token ? ((await tokens.claims(token))?.userId ?? null) : null;
  if (!userId) throw new HttpError(401, "unauthenticated");
  const { rows } = await sql<{ id: string; role: string }>("SELECT id, role FROM users WHERE id = $1", [userId]);
  if (!rows[0]) throw new HttpError(401, "unauthenticated");
  return rows[0];
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

type JobSql = { id: string; vm_id: string; command: string; status: string; started_at: Date | null; finished_at: Date | null };
const presentJob = (j: JobSql) => ({
  id: j.id,
  vmId: j.vm_id,
  command: j.command,
  status: j.status.toUpperCase(),
  startedAt: iso(j.started_at),
  finishedAt: iso(j.finished_at),
});
const presentLine = (l: { ts: string; stream: string; data: string }) => ({ ts: l.ts, stream: l.stream.toUpperCase(), data: l.data });

/** The first `size` of `rows`, and whether there were more (rows holds size + 1 at most). */
function page<T>(rows: T[], size: number) {
  return { nodes: rows.slice(0, size), hasNextPage: rows.length > size };
}

let withCommandId: boolean | undefined;

const routes: Record<string, (url: URL, req: IncomingMessage) => Promise<unknown>> = {
  // vms(environment, first: 50): the byEnvironment GSI, newest first.
  async "GET /s0"(url) {
    const out = await send(
      new QueryCommand({
        TableName: tables.vms,
        IndexName: "byEnvironment",
        KeyConditionExpression: "environment = :e",
        ExpressionAttributeValues: { ":e": url.searchParams.get("environment") },
        ScanIndexForward: false,
        Limit: 51,
      }),
    );
    return page(out.Items ?? [], 50);
  },

  // job(id){ logs(first: 200) } from the cache: the job row, then its first 201 lines.
  async "GET /s1"(url) {
    const id = url.searchParams.get("id");
    const jobs = await sql<JobSql>("SELECT id, vm_id, command, status, started_at, finished_at FROM jobs WHERE id = $1", [id]);
    if (!jobs.rows[0]) return { job: null };
    const lines = await sql<{ ts: string; stream: string; data: string }>(
      `SELECT ${TS} AS ts, stream, data FROM job_logs WHERE job_id = $1 ORDER BY ts LIMIT 201`,
      [id],
    );
    return { job: { ...presentJob(jobs.rows[0]), logs: page(lines.rows.map(presentLine), 200) } };
  },

  // The same from DynamoDB, strongly consistent.
  async "GET /s5"(url) {
    const id = url.searchParams.get("id");
    const [job, lines] = await Promise.all([
      send(new GetCommand({ TableName: tables.jobs, Key: { jobId: id }, ConsistentRead: true })),
      send(
        new QueryCommand({
          TableName: tables.logs,
          KeyConditionExpression: "jobId = :j",
          ExpressionAttributeValues: { ":j": id },
          ConsistentRead: true,
          Limit: 201,
        }),
      ),
    ]);
    if (!job.Item) return { job: null };
    return { job: { ...job.Item, logs: page((lines.Items ?? []) as never[], 200) } };
  },

  // vms(environment, first: 50){ jobs(first: 10) }: one GSI query, one SQL query for every VM's jobs.
  async "GET /s2"(url) {
    const first = Number(url.searchParams.get("first") ?? 50);
    const out = await send(
      new QueryCommand({
        TableName: tables.vms,
        IndexName: "byEnvironment",
        KeyConditionExpression: "environment = :e",
        ExpressionAttributeValues: { ":e": url.searchParams.get("environment") },
        ScanIndexForward: false,
        Limit: first + 1,
      }),
    );
    const vms = page(out.Items ?? [], first);
    const ids = vms.nodes.map((vm) => vm.vmId as string);
    const { rows } = await sql<JobSql>(
      `SELECT j.id, j.vm_id, j.command, j.status, j.started_at, j.finished_at
         FROM unnest($1::text[]) AS v(vm_id)
         CROSS JOIN LATERAL (
           SELECT * FROM jobs WHERE jobs.vm_id = v.vm_id ORDER BY started_at DESC NULLS LAST, id DESC LIMIT 11
         ) j`,
      [ids],
    );
    const byVm = new Map<string, ReturnType<typeof presentJob>[]>();
    for (const row of rows) (byVm.get(row.vm_id) ?? byVm.set(row.vm_id, []).get(row.vm_id)!).push(presentJob(row));
    return {
      vms: {
        nodes: vms.nodes.map((vm) => ({ id: vm.vmId, name: vm.name, environment: vm.environment, jobs: page(byVm.get(vm.vmId as string) ?? [], 10) })),
        hasNextPage: vms.hasNextPage,
      },
    };
  },

  // jobs(filter: {vmId}, first: 10){ logs(first: 20) }: the jobs, then every job's lines in one query.
  async "GET /s2n"(url) {
    const jobs = await sql<JobSql>(
      `SELECT id, vm_id, command, status, started_at, finished_at FROM jobs
        WHERE vm_id = $1 ORDER BY started_at DESC NULLS LAST, id DESC LIMIT 11`,
      [url.searchParams.get("vmId")],
    );
    const shown = page(jobs.rows, 10);
    const lines = await sql<{ job_id: string; ts: string; stream: string; data: string }>(
      `SELECT l.job_id, l.ts, l.stream, l.data
         FROM unnest($1::uuid[]) AS j(id)
         CROSS JOIN LATERAL (
           SELECT job_id, ${TS} AS ts, stream, data FROM job_logs WHERE job_id = j.id ORDER BY job_logs.ts LIMIT 21
         ) l`,
      [shown.nodes.map((j) => j.id)],
    );
    const byJob = new Map<string, ReturnType<typeof presentLine>[]>();
    for (const l of lines.rows) (byJob.get(l.job_id) ?? byJob.set(l.job_id, []).get(l.job_id)!).push(presentLine(l));
    return {
      jobs: { nodes: shown.nodes.map((j) => ({ ...presentJob(j), logs: page(byJob.get(j.id) ?? [], 20) })), hasNextPage: shown.hasNextPage },
    };
  },

  // sendCommand: the VM must exist; command and RUNNING job in one transaction; the cache row after answering.
  async "POST /s3"(_url, req) {
    const input = await readBody(req);
    const actor = (req as IncomingMessage & { actor: { id: string } }).actor;
    const vm = await send(new GetCommand({ TableName: tables.vms, Key: { vmId: input.vmId } }));
    if (!vm.Item) throw new HttpError(404, "no such vm");
    const now = new Date().toISOString();
    const command = { commandId: randomUUID(), vmId: input.vmId, command: input.command, issuedBy: actor.id, createdAt: now };
    const job = { jobId: randomUUID(), vmId: input.vmId, commandId: command.commandId, command: input.command, status: "running", startedAt: now };
    await send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tables.commands, Item: command, ConditionExpression: "attribute_not_exists(commandId)" } },
          { Put: { TableName: tables.jobs, Item: job, ConditionExpression: "attribute_not_exists(jobId)" } },
        ],
      }),
    );
    void cacheJob(job);
    return { command, job };
  },

  // appendJobLogs: the job must exist; lines get receipt-time µs timestamps, in order; 25 per BatchWriteItem.
  async "POST /s4"(_url, req) {
    const input = await readBody(req);
    const job = await send(new GetCommand({ TableName: tables.jobs, Key: { jobId: input.jobId } }));
    if (!job.Item) throw new HttpError(404, "no such job");
    let micros = toMicros(nowLogTimestamp());
    const lines = (input.lines as Array<{ stream: string; data: string }>).map((line) => ({
      jobId: input.jobId as string,
      ts: fromMicros(micros++),
      stream: line.stream.toLowerCase(),
      data: line.data,
    }));
    const batches = [];
    for (let i = 0; i < lines.length; i += 25) batches.push(lines.slice(i, i + 25));
    await Promise.all(
      batches.map(async (batch) => {
        let pending = batch.map((Item) => ({ PutRequest: { Item } }));
        // Unprocessed items are DynamoDB asking for less: back off and retry, bounded, as our client retries throttling.
        for (let round = 0; pending.length; round++) {
          if (round >= UNPROCESSED_ROUNDS) throw new Error(`BatchWriteItem: ${pending.length} items still unprocessed`);
          if (round > 0) await backoff(round);
          const out = await send(new BatchWriteCommand({ RequestItems: { [tables.logs]: pending } }));
          pending = (out.UnprocessedItems?.[tables.logs] ?? []) as typeof pending;
        }
      }),
    );
    void cacheLines(lines);
    return { accepted: lines.length, lastTs: lines.at(-1)?.ts ?? null };
  },

  async "GET /calls"() {
    return calls;
  },
};

// Cache writes happen after the answer, as the API's write-through does; failures are only counted.
let cacheFailures = 0;
async function cacheJob(job: { jobId: string; vmId: string; commandId: string; command: string; status: string; startedAt: string }) {
  try {
    withCommandId ??=
      ((await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'command_id'")).rowCount ?? 0) > 0;
    const values = [job.jobId, job.vmId, job.command, job.status, job.startedAt, ...(withCommandId ? [job.commandId] : [])];
    await sql(
      `INSERT INTO jobs (id, vm_id, command, status, started_at${withCommandId ? ", command_id" : ""})
       VALUES ($1, $2, $3, $4, $5${withCommandId ? ", $6" : ""}) ON CONFLICT (id) DO NOTHING`,
      values,
    );
  } catch {
    cacheFailures++;
  }
}
async function cacheLines(lines: Array<{ jobId: string; ts: string; stream: string; data: string }>) {
  try {
    await sql(
      `INSERT INTO job_logs (job_id, ts, stream, data)
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
      [lines.map((l) => l.jobId), lines.map((l) => l.ts), lines.map((l) => l.stream), lines.map((l) => l.data)],
    );
  } catch {
    cacheFailures++;
  }
}

function reply(res: ServerResponse, status: number, body: unknown) {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://raw");
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) return reply(res, 404, { error: "not found" });
    if (url.pathname !== "/calls") (req as IncomingMessage & { actor: unknown }).actor = await authenticate(req);
    reply(res, 200, { data: await route(url, req) });
  } catch (error) {
    reply(res, error instanceof HttpError ? error.status : 500, { error: (error as Error).message, cacheFailures });
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env.PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    void db.end().finally(() => {
      dynamo.raw.destroy();
      process.exit(0);
    });
  });
}
