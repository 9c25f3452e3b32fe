// The fixed data set: VMs in environments, each with jobs (one command each),
// each job with log lines. Deterministic for a given seed and day, so every run
// of a day reads the same shapes; dates follow the clock so the 7-day cache
// window always holds them.
import { fromMicros } from "../src/shared/log-timestamp";
import type { BenchConfig } from "./config";

export interface VmRow {
  vmId: string;
  name: string;
  environment: string;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
export interface CommandRow {
  commandId: string;
  vmId: string;
  command: string;
  issuedBy?: string;
  createdAt: string;
}
export interface JobRow {
  jobId: string;
  vmId: string;
  commandId: string;
  command: string;
  status: "running" | "success" | "failed";
  startedAt: string;
  finishedAt?: string;
  /** Whether DynamoDB holds this job's lines too (the cache holds every job's). */
  linesInDynamo: boolean;
}
export interface LogRow {
  jobId: string;
  ts: string;
  stream: "stdout" | "stderr";
  data: string;
}

export interface Dataset {
  vms: VmRow[];
  commands: CommandRow[];
  jobs: JobRow[];
  /** Lines of one job, generated on demand (800k rows do not sit in memory). */
  linesOf(job: JobRow): LogRow[];
  linesPerJob: number;
}

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(random() * 4)]!;
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const COMMANDS = [
  "apt-get update && apt-get -y upgrade",
  "systemctl restart nginx",
  "df -h /",
  "journalctl -u app --since -1h",
  "docker compose pull && docker compose up -d",
  "./deploy.sh --release",
];

const HOUR = 3_600_000;
const LINE_GAP_MS = 10;

export function buildDataset(config: BenchConfig, issuedBy?: string, now = Date.now()): Dataset {
  const random = prng(20261126);
  // Six days ago, on the hour: inside the 7-day cache window for the whole run.
  const base = Math.floor((now - 6 * 24 * HOUR) / HOUR) * HOUR;
  const jobSpacing = Math.floor((5 * 24 * HOUR) / Math.max(1, config.jobsPerVm));
  const totalJobs = config.vms * config.jobsPerVm;
  const every = Math.max(1, Math.ceil(totalJobs / Math.max(1, config.dynamoLogJobs)));

  const vms: VmRow[] = [];
  const commands: CommandRow[] = [];
  const jobs: JobRow[] = [];
  for (let v = 0; v < config.vms; v++) {
    const vmId = `bench-vm-${String(v).padStart(4, "0")}`;
    const createdAt = new Date(base - (config.vms - v) * 60_000).toISOString();
    vms.push({
      vmId,
      name: `vm ${v}`,
      environment: config.environments[v % config.environments.length]!,
      tags: { team: `team-${v % 7}`, tier: String(v % 3) },
      createdAt,
      updatedAt: createdAt,
    });
    for (let j = 0; j < config.jobsPerVm; j++) {
      const started = base + j * jobSpacing + v * 1_000;
      const command = COMMANDS[(v + j) % COMMANDS.length]!;
      const commandId = uuidFrom(random);
      const jobId = uuidFrom(random);
      const running = j === config.jobsPerVm - 1;
      commands.push({
        commandId,
        vmId,
        command,
        ...(issuedBy ? { issuedBy } : {}),
        createdAt: new Date(started - 5).toISOString(),
      });
      jobs.push({
        jobId,
        vmId,
        commandId,
        command,
        status: running ? "running" : j % 7 === 3 ? "failed" : "success",
        startedAt: new Date(started).toISOString(),
        ...(running ? {} : { finishedAt: new Date(started + config.linesPerJob * LINE_GAP_MS + 1_000).toISOString() }),
        linesInDynamo: jobs.length % every === 0,
      });
    }
  }

  return {
    vms,
    commands,
    jobs,
    linesPerJob: config.linesPerJob,
    linesOf(job) {
      const startMicros = BigInt(Date.parse(job.startedAt)) * 1000n;
      const lines: LogRow[] = [];
      for (let k = 0; k < config.linesPerJob; k++) {
        const micros = startMicros + BigInt(k * LINE_GAP_MS * 1000 + ((k * 37) % 1000));
        const stderr = k % 10 === 9;
        lines.push({
          jobId: job.jobId,
          ts: fromMicros(micros),
          stream: stderr ? "stderr" : "stdout",
          data: stderr
            ? `warning: step ${k} of ${job.command.split(" ")[0]} took longer than expected (${k % 13} retries)`
            : `[${k + 1}/${config.linesPerJob}] ${job.vmId}: ${job.command.slice(0, 24)} … ok (${(k * 7919) % 10007} bytes)`,
        });
      }
      return lines;
    },
  };
}
