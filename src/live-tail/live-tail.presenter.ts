// A tail delivery as each transport shows it: GraphQL's LogTailEvent and the SSE event's data.
import { presentLogLine } from "../logs/log-line.presenter.js";
import { logCursor } from "../logs/log-line.service.js";
import type { TailEvent } from "./log-tail.js";

export const tailCursor = (event: TailEvent) => (event.resumeTs ? logCursor({ ts: event.resumeTs }) : null);

export function toLogTailEvent(event: TailEvent) {
  return { lines: event.lines.map((node) => ({ cursor: logCursor(node), node })), cursor: tailCursor(event), status: event.status };
}

export function toSseData(event: TailEvent) {
  return { items: event.lines.map(presentLogLine), status: event.status };
}
