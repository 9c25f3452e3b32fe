// Server-Sent Events for routes whose success is a stream (defineRoute's
// `success.eventStream`): the handler returns the events, this writes them.
import type { Request, Response } from "express";

/** One Server-Sent Event: `event:`, optional `id:`, and `data:` as JSON. */
export interface SseEvent {
  event: string;
  id?: string | null;
  data: unknown;
}

/** A comment line at least this often while idle, so proxies keep the connection open. */
export const KEEP_ALIVE_MS = 15_000;

export function isEventStream(value: unknown): value is AsyncIterable<SseEvent> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * Writes the events as they come and ends the response when they end. When
 * the client goes away, the iterator is returned (its subscription ends).
 */
export async function sendEventStream(req: Request, res: Response, events: AsyncIterable<SseEvent>, keepAliveMs = KEEP_ALIVE_MS): Promise<void> {
  res.status(200).set({
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    // nginx and the like buffer responses unless told not to.
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  const iterator = events[Symbol.asyncIterator]();
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
  const gone = () => void iterator.return?.();
  req.on("close", gone);
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done || res.writableEnded || res.destroyed) break;
      const { event, id, data } = next.value;
      res.write(`event: ${event}\n${id ? `id: ${id}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
    }
  } finally {
    clearInterval(keepAlive);
    req.off("close", gone);
    res.end();
  }
}
