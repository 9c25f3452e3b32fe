// The scenarios of issue 7, each as the same work three ways: our GraphQL API
// (query text from the contract), the raw baseline (bench/raw-server.ts) and,
// for the cache reads, PostGraphile over the same Postgres tables.
import type { Dataset, JobRow } from "./dataset";

/** "api-b": a second instance of our API, the B side of an A/B pair in one run (BENCH_API_B, BENCH_API_B_DIR, BENCH_API_B_SCRIPT). */
export type Target = "api" | "api-b" | "raw" | "peer";

/** One concrete HTTP request; the load generator picks among a scenario's variants at random. */
export interface RequestVariant {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

/** Inputs the scenarios draw from, fixed per run. */
export interface Picks {
  environments: string[];
  vmIds: string[];
  /** Every job: the cache holds all their lines. */
  jobIds: string[];
  /** Jobs whose lines DynamoDB holds too (STRONG reads). */
  dynamoLineJobIds: string[];
  /** RUNNING jobs, the ones log lines are appended to. */
  runningJobIds: string[];
}

export function picksOf(dataset: Dataset): Picks {
  const ids = (jobs: JobRow[]) => jobs.map((j) => j.jobId);
  return {
    environments: [...new Set(dataset.vms.map((v) => v.environment))],
    vmIds: dataset.vms.map((v) => v.vmId),
    jobIds: ids(dataset.jobs),
    dynamoLineJobIds: ids(dataset.jobs.filter((j) => j.linesInDynamo)),
    runningJobIds: ids(dataset.jobs.filter((j) => j.status === "running")),
  };
}

interface GraphQLRequest {
  query: string;
  variables: (d: Picks, pick: Pick, i: number) => Record<string, unknown>;
}

type Pick = <T>(list: T[]) => T;

export interface Scenario {
  id: string;
  title: string;
  kind: "read" | "write";
  /** Part of issue 7's list (S1-S5) or an extra of this harness. */
  fromIssue: boolean;
  api: GraphQLRequest;
  raw: { method: "GET" | "POST"; path: (d: Picks, pick: Pick, i: number) => string; body?: (d: Picks, pick: Pick, i: number) => unknown };
  peer?: GraphQLRequest;
  /**
   * "off": the runner turns the DynamoDB Streams of the jobs and logs tables
   * off before this scenario runs (for both servers alike) and on again after.
   * DynamoDB Local's stream bookkeeping slows every write by an order of
   * magnitude; real DynamoDB writes stream records off the request path.
   */
  dynamoStreams?: "off";
  /** At most this many connections (BENCH_CONNECTIONS may ask for fewer). */
  maxConnections?: number;
  /** Extra store-call probes of the API: same query, other variables (S2 at 5 VMs). */
  probes?: Array<{ label: string; variables: (d: Picks, pick: Pick) => Record<string, unknown> }>;
}

export const LOG_PAGE = 200;
export const S2_VMS = 50;
export const S2_JOBS = 10;
export const NESTED_JOBS = 10;
export const NESTED_LINES = 20;
export const APPEND_LINES = 100;
/**
 * DynamoDB Local applies writes one at a time: at 32 connections of 100-line
 * appends its queue passes the client's 3 s attempt timeout, for the raw
 * baseline and our API alike, and requests fail for the emulator's sake
 * (bench/README.md, issue 14). 4 keeps it busy without that queue.
 */
export const APPEND_CONNECTIONS = 4;

const S1_QUERY = /* GraphQL */ `
  query BenchS1JobWithLogs($id: ID!) {
    job(id: $id) {
      id vmId commandId command status startedAt finishedAt
      logs(first: ${LOG_PAGE}) {
        edges { cursor node { ts stream data } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }`;

const S5_QUERY = S1_QUERY.replace("BenchS1JobWithLogs", "BenchS5JobWithLogsStrong").replace(
  "job(id: $id)",
  "job(id: $id, consistency: STRONG)",
);

const PEER_S1_QUERY = /* GraphQL */ `
  query PeerS1JobWithLogs($id: UUID!) {
    jobByRowId(rowId: $id) {
      rowId vmId command status startedAt finishedAt
      jobLogsByJobId(first: ${LOG_PAGE}, orderBy: [TS_ASC]) {
        edges { cursor node { ts stream data } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }`;

const LOG_DATA = "x".repeat(60);

const S4: Scenario = {
  id: "S4",
  title: `appendJobLogs with ${APPEND_LINES} lines, at most ${APPEND_CONNECTIONS} connections`,
  maxConnections: APPEND_CONNECTIONS,
  kind: "write",
  fromIssue: true,
  api: {
    query: /* GraphQL */ `
      mutation BenchS4AppendLogs($jobId: ID!, $lines: [LogLineInput!]!) {
        appendJobLogs(jobId: $jobId, lines: $lines) { accepted lastTs }
      }`,
    variables: (d, pick, i) => ({ jobId: pick(d.runningJobIds), lines: appendLines(i) }),
  },
  raw: {
    method: "POST",
    path: () => "/s4",
    body: (d, pick, i) => ({ jobId: pick(d.runningJobIds), lines: appendLines(i) }),
  },
};

export const SCENARIOS: Scenario[] = [
  {
    id: "S0",
    title: "vms(environment, first: 50), flat (harness check: in the schema from the start)",
    kind: "read",
    fromIssue: false,
    api: {
      query: /* GraphQL */ `
        query BenchS0Vms($environment: String, $first: Int) {
          vms(environment: $environment, first: $first) {
            edges { cursor node { id name environment tags createdAt updatedAt } }
            pageInfo { hasNextPage endCursor }
          }
        }`,
      variables: (d, pick) => ({ environment: pick(d.environments), first: S2_VMS }),
    },
    raw: { method: "GET", path: (d, pick) => `/s0?environment=${pick(d.environments)}` },
  },
  {
    id: "S1",
    title: `job(id){ logs(first: ${LOG_PAGE}) } from the cache`,
    kind: "read",
    fromIssue: true,
    api: { query: S1_QUERY, variables: (d, pick) => ({ id: pick(d.jobIds) }) },
    raw: { method: "GET", path: (d, pick) => `/s1?id=${pick(d.jobIds)}` },
    peer: { query: PEER_S1_QUERY, variables: (d, pick) => ({ id: pick(d.jobIds) }) },
  },
  {
    id: "S5",
    title: `job(id, consistency: STRONG){ logs(first: ${LOG_PAGE}) } from DynamoDB`,
    kind: "read",
    fromIssue: true,
    api: { query: S5_QUERY, variables: (d, pick) => ({ id: pick(d.dynamoLineJobIds) }) },
    raw: { method: "GET", path: (d, pick) => `/s5?id=${pick(d.dynamoLineJobIds)}` },
  },
  {
    id: "S2",
    title: `vms(environment, first: ${S2_VMS}){ jobs(first: ${S2_JOBS}) }`,
    kind: "read",
    fromIssue: true,
    api: {
      query: /* GraphQL */ `
        query BenchS2VmsWithJobs($environment: String, $first: Int) {
          vms(environment: $environment, first: $first) {
            edges {
              node {
                id name environment
                jobs(first: ${S2_JOBS}) {
                  edges { node { id command status startedAt finishedAt } }
                  pageInfo { hasNextPage endCursor }
                }
              }
            }
            pageInfo { hasNextPage endCursor }
          }
        }`,
      variables: (d, pick) => ({ environment: pick(d.environments), first: S2_VMS }),
    },
    raw: { method: "GET", path: (d, pick) => `/s2?environment=${pick(d.environments)}&first=${S2_VMS}` },
    probes: [
      { label: "5 VMs", variables: (d, pick) => ({ environment: pick(d.environments), first: 5 }) },
      { label: `${S2_VMS} VMs`, variables: (d, pick) => ({ environment: pick(d.environments), first: S2_VMS }) },
    ],
  },
  {
    id: "S2n",
    title: `jobs(filter: {vmId}, first: ${NESTED_JOBS}){ logs(first: ${NESTED_LINES}) }, nested cache read`,
    kind: "read",
    fromIssue: false,
    api: {
      query: /* GraphQL */ `
        query BenchS2nJobsWithLogs($vmId: ID!) {
          jobs(filter: { vmId: $vmId }, first: ${NESTED_JOBS}) {
            edges {
              node {
                id vmId command status startedAt finishedAt
                logs(first: ${NESTED_LINES}) { edges { node { ts stream data } } }
              }
            }
            pageInfo { hasNextPage endCursor }
          }
        }`,
      variables: (d, pick) => ({ vmId: pick(d.vmIds) }),
    },
    raw: { method: "GET", path: (d, pick) => `/s2n?vmId=${pick(d.vmIds)}` },
    peer: {
      query: /* GraphQL */ `
        query PeerS2nJobsWithLogs($vmId: String!) {
          allJobs(condition: { vmId: $vmId }, first: ${NESTED_JOBS}, orderBy: [STARTED_AT_DESC]) {
            nodes {
              rowId vmId command status startedAt finishedAt
              jobLogsByJobId(first: ${NESTED_LINES}, orderBy: [TS_ASC]) { nodes { ts stream data } }
            }
            pageInfo { hasNextPage endCursor }
          }
        }`,
      variables: (d, pick) => ({ vmId: pick(d.vmIds) }),
    },
  },
  {
    id: "S3",
    title: "sendCommand (command + RUNNING job in one transaction)",
    kind: "write",
    fromIssue: true,
    api: {
      query: /* GraphQL */ `
        mutation BenchS3SendCommand($input: SendCommandInput!) {
          sendCommand(input: $input) {
            command { id vmId command createdAt }
            job { id status startedAt }
          }
        }`,
      variables: (d, pick, i) => ({ input: { vmId: pick(d.vmIds), command: `uptime # bench ${i}` } }),
    },
    raw: {
      method: "POST",
      path: () => "/s3",
      body: (d, pick, i) => ({ vmId: pick(d.vmIds), command: `uptime # bench ${i}` }),
    },
  },
  S4,
  {
    ...S4,
    id: "S4ns",
    title: `appendJobLogs with ${APPEND_LINES} lines, at most ${APPEND_CONNECTIONS} connections, DynamoDB Streams off on the emulator (S4 without its stream bookkeeping)`,
    fromIssue: false,
    dynamoStreams: "off",
    maxConnections: APPEND_CONNECTIONS,
  },
];

function appendLines(i: number) {
  return Array.from({ length: APPEND_LINES }, (_, k) => ({
    stream: k % 10 === 9 ? "STDERR" : "STDOUT",
    data: `bench ${i}.${k} ${LOG_DATA}`,
  }));
}

/** mulberry32, so a run's requests are the same from run to run. */
function seeded(seed: number): Pick {
  let a = seed >>> 0;
  return <T>(list: T[]): T => {
    if (list.length === 0) throw new Error("bench: nothing to pick from (is the data set empty?)");
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return list[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * list.length)]!;
  };
}

export const GRAPHQL_PATH = "/graphql";

function graphqlVariant(request: GraphQLRequest, variables: Record<string, unknown>): RequestVariant {
  return { method: "POST", path: GRAPHQL_PATH, body: JSON.stringify({ query: request.query, variables }) };
}

/** `count` concrete requests of a scenario for a target, drawn from the run's picks. */
export function buildVariants(scenario: Scenario, target: Target, data: Picks, count: number): RequestVariant[] {
  // The B side of an A/B pair asks exactly what the A side asks.
  const side = target === "api-b" ? "api" : target;
  const pick = seeded(0x5eed + scenario.id.charCodeAt(1) * 31 + side.length);
  const out: RequestVariant[] = [];
  for (let i = 0; i < count; i++) {
    if (side === "api") out.push(graphqlVariant(scenario.api, scenario.api.variables(data, pick, i)));
    else if (side === "peer") {
      if (!scenario.peer) throw new Error(`${scenario.id} has no peer request`);
      out.push(graphqlVariant(scenario.peer, scenario.peer.variables(data, pick, i)));
    } else {
      const body = scenario.raw.body?.(data, pick, i);
      out.push({ method: scenario.raw.method, path: scenario.raw.path(data, pick, i), ...(body ? { body: JSON.stringify(body) } : {}) });
    }
  }
  return out;
}

/** The probe requests of a scenario's API side, for store calls per request. */
export function buildProbeVariants(scenario: Scenario, data: Picks, count: number): Array<{ label: string; variants: RequestVariant[] }> {
  const probes = scenario.probes ?? [{ label: "", variables: (d: Picks, pick: Pick) => scenario.api.variables(d, pick, 0) }];
  return probes.map((probe, p) => {
    const pick = seeded(0xca11 + p);
    return { label: probe.label, variants: Array.from({ length: count }, () => graphqlVariant(scenario.api, probe.variables(data, pick))) };
  });
}
