// An embedded store that exits while the server runs (an out-of-memory kill,
// a crash) is started again on its same data directory and port, so the
// clients already configured with its URL reconnect by themselves: after a
// growing pause, a few times. If it cannot come back, the server must not go
// on answering SERVICE_UNAVAILABLE for good: onGiveUp gets one line that says
// so, and the caller exits non-zero.
import type { Logger } from "./logger.js";

export interface EmbeddedProcess {
  /** Settles when the store's process has exited, with how ("exit code 1", "signal SIGKILL"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  /** "PostgreSQL", "DynamoDB Local". */
  name: string;
  /** Starts the store again on the same data directory and port. */
  restart(): Promise<EmbeddedProcess>;
  logger: Logger;
  onGiveUp(message: string): void;
  /** The pause before each attempt; as many attempts as entries. */
  backoffMs?: number[];
  /** A store up this long has recovered: the next exit starts from the first pause again. */
  stableAfterMs?: number;
}

export const DEFAULT_RESTART_BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000];

export interface Supervised {
  /**
   * From now on an exit is the server's shutdown, not a crash: neither
   * restarted nor reported (a terminal's Ctrl-C reaches the stores the
   * server started in its process group as it reaches the server).
   */
  expectExit(): void;
  /** Stops the store (the one running now) and supervising it. */
  stop(): Promise<void>;
}

export function supervise(first: EmbeddedProcess, options: SuperviseOptions): Supervised {
  const { name, logger } = options;
  const backoff = options.backoffMs ?? DEFAULT_RESTART_BACKOFF_MS;
  const stableAfterMs = options.stableAfterMs ?? 60_000;
  let current = first;
  let stopping = false;
  let wake: () => void = () => undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const watch = async () => {
    let attempt = 0;
    let upSince = Date.now();
    for (;;) {
      const how = await current.exited;
      if (stopping) return;
      if (Date.now() - upSince >= stableAfterMs) attempt = 0;
      let lastError = "";
      let restarted = false;
      while (attempt < backoff.length && !stopping) {
        const delay = backoff[attempt++]!;
        logger.warn({ store: name, exited: how, attempt, of: backoff.length, inMs: delay }, `embedded ${name} exited (${how}); restarting it`);
        await pause(delay);
        if (stopping) return;
        try {
          current = await options.restart();
          restarted = true;
          upSince = Date.now();
          logger.warn({ store: name, attempt }, `embedded ${name} restarted on its data directory`);
          break;
        } catch (error) {
          lastError = error instanceof Error ? error.message : String(error);
          logger.warn({ store: name, attempt, err: error }, `embedded ${name} did not start again`);
        }
      }
      if (stopping) return;
      if (!restarted) {
        options.onGiveUp(`embedded ${name} exited (${how}) and did not come back after ${backoff.length} restarts: ${lastError || "no attempt left"}`);
        return;
      }
    }
  };
  const watching = watch();

  const expectExit = () => {
    stopping = true;
    wake();
  };
  return {
    expectExit,
    stop: async () => {
      expectExit();
      await current.stop();
      await watching;
    },
  };
}
