// GET /api/logs/:jobId/stream: the live tail as Server-Sent Events (rest.md),
// over the same LiveTailService as Subscription.jobLogTail.
import { z } from "zod";
import { OPERATIONS } from "../auth/operations.js";
import { jobIdSchema } from "../jobs/job.schema.js";
import { logLineJsonSchema } from "../logs/log-line.presenter.js";
import { logStreamSchema } from "../logs/log-line.schema.js";
import type { SseEvent } from "../rest/event-stream.js";
import { defineRoute } from "../rest/route.js";
import type { LogTail } from "./log-tail.js";
import { tailCursor, toSseData } from "./live-tail.presenter.js";

const linesEventSchema = z
  .object({ items: z.array(logLineJsonSchema), status: z.enum(["running", "success", "failed"]) })
  .meta({
    id: "LogTailLines",
    description:
      "`event: lines`, `id:` the cursor of its last line, `data:` these lines and the job's status. After the finished status and the last line: `event: end` with `data: {\"status\": ...}`, and the stream closes.",
  });

/** Lines as `lines` events (each id'd by its last line's cursor), then `end` once the job has finished. */
async function* sseEvents(tail: LogTail): AsyncGenerator<SseEvent> {
  let status: string | undefined;
  for await (const event of tail) {
    status = event.status;
    if (event.lines.length > 0) yield { event: "lines", id: tailCursor(event), data: toSseData(event) };
  }
  // A tail also ends when the server shuts down: only a finished job gets `end` (the client reconnects otherwise).
  if (status && status !== "running") yield { event: "end", data: { status } };
}

export const LIVE_TAIL_ROUTES = [
  defineRoute({
    operationId: "streamLogs",
    method: "get",
    path: "/logs/{jobId}/stream",
    tag: "logs",
    summary: "A job's log as Server-Sent Events: the stored lines after `cursor` (or `Last-Event-ID`), then each new line once it is stored.",
    description:
      "Every line exactly once and in ts order, whichever instance stored it. A reconnect with `Last-Event-ID` (EventSource does it) or `?cursor=` continues right after that line. A `: keep-alive` comment at least every 15 s while idle.",
    auth: OPERATIONS.jobLogTail,
    request: {
      params: z.object({ jobId: jobIdSchema }),
      query: z.object({ stream: logStreamSchema.optional(), cursor: z.string().min(1).optional() }),
    },
    success: { status: 200, description: "The event stream.", schema: linesEventSchema, eventStream: true },
    errors: [404],
    handler: async ({ actor, services, params, query, headers }) => {
      const lastEventId = headers["last-event-id"];
      const after = (typeof lastEventId === "string" && lastEventId) || query.cursor;
      return sseEvents(await services.liveTail.tail(actor, params.jobId, { after, stream: query.stream }));
    },
  }),
];
