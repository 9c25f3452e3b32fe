// An EventSource-style reader over fetch: parses text/event-stream as it
// arrives (event, id, data), as a browser's EventSource does.
export interface ServerSentEvent {
  event: string;
  id?: string;
  data: string;
}

export interface SseReader {
  status: number;
  /** The JSON body when the server answered with an error instead of a stream. */
  body?: unknown;
  events: ServerSentEvent[];
  comments: number;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function readEventStream(url: string, headers: Record<string, string>): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  if (!res.headers.get("content-type")?.startsWith("text/event-stream")) {
    return { status: res.status, body: await res.json(), events: [], comments: 0, ended: Promise.resolve(), close: () => abort.abort() };
  }
  const reader: SseReader = { status: res.status, events: [], comments: 0, ended: Promise.resolve(), close: () => abort.abort() };
  reader.ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerSentEvent = { event: "message", data: "" };
          let isComment = true;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            isComment = false;
            const [field, ...rest] = line.split(":");
            const value = rest.join(":").replace(/^ /, "");
            if (field === "event") event.event = value;
            else if (field === "id") event.id = value;
            else if (field === "data") event.data += value;
          }
          if (isComment) reader.comments++;
          else reader.events.push(event);
        }
      }
    } catch (error) {
      if ((error as Error).name !== "AbortError") throw error;
    }
  })();
  return reader;
}
