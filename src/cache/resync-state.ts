// A full resync's checkpoint, kept in a small JSON file (no table: PostgreSQL
// holds only the seed's users, jobs and job_logs). `make resync-cache` takes
// it from --state (default <DATA_DIR>/cache-resync.<jobs table>.json); the
// server keeps its own runs' checkpoint at that default path under its
// DATA_DIR. The file is replaced atomically (written beside it, then
// renamed) after each job, so a kill leaves the last complete job's cursor.
// Whether a resync is running is not stored: it is the resync lock being held
// (cache-resync.ts, seen by every instance through pg_locks).
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** The last job copied, in the byStartedAt index's order (startedAt, then jobId). */
export interface ResyncCursor {
  startedAt: string;
  jobId: string;
}

export interface ResyncCheckpoint {
  /** The DynamoDB jobs table's name: a file of another deployment is not resumed. */
  deployment: string;
  /** running: started and not finished (a kill leaves it so); done: completed. */
  status: "running" | "done";
  reason: string;
  /** The window: jobs started at or after it (ISO). */
  since: string;
  cursor: ResyncCursor | null;
  jobsDone: number;
  linesDone: number;
  startedAt: string;
  finishedAt: string | null;
}

export const defaultStatePath = (dataDir: string, jobsTable: string): string =>
  path.resolve(dataDir, `cache-resync.${jobsTable.replace(/[^\w.-]/g, "_")}.json`);

export class ResyncStateFile {
  constructor(
    readonly path: string,
    private readonly deployment: string,
  ) {}

  /** The checkpoint, or null: no file, another deployment's, or unreadable (then the run starts over: it is idempotent). */
  async read(): Promise<ResyncCheckpoint | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new Error(`cannot read the resync state file ${this.path}: ${(error as Error).message}`);
    }
    try {
      const state = JSON.parse(text) as ResyncCheckpoint;
      return state.deployment === this.deployment && (state.status === "running" || state.status === "done") ? state : null;
    } catch {
      return null;
    }
  }

  async write(state: Omit<ResyncCheckpoint, "deployment">): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(this.path), { recursive: true });
      await writeFile(tmp, `${JSON.stringify({ deployment: this.deployment, ...state }, null, 2)}\n`);
      await rename(tmp, this.path);
    } catch (error) {
      throw new Error(`cannot write the resync state file ${this.path}: ${(error as Error).message}`);
    }
  }
}
