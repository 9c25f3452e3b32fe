// A tiny REST client for tests: real HTTP against a TestServer's /api.
import { expect } from "vitest";
import type { TestServer } from "./test-server";

export interface RestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body (204). */
  body: any;
}

export interface RestRequest {
  token?: string;
  query?: Record<string, string | string[]>;
  /** A value is sent as JSON; a string is sent as is (malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
}

export function restClient(t: Pick<TestServer, "url">) {
  async function call(method: string, path: string, options: RestRequest = {}): Promise<RestResponse> {
    const url = new URL(`/api${path}`, t.url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(key, one);
    }
    const hasBody = options.body !== undefined;
    const response = await fetch(url, {
      method,
      headers: {
        ...(hasBody ? { "content-type": "application/json" } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: hasBody ? (typeof options.body === "string" ? options.body : JSON.stringify(options.body)) : undefined,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  }
  return {
    get: (path: string, options?: RestRequest) => call("GET", path, options),
    post: (path: string, body: unknown, options?: RestRequest) => call("POST", path, { ...options, body }),
    patch: (path: string, body: unknown, options?: RestRequest) => call("PATCH", path, { ...options, body }),
    delete: (path: string, options?: RestRequest) => call("DELETE", path, options),
  };
}

/** A contract error: the status, `{ error: { code, message } }` and nothing else. */
export function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
  expect(Object.keys(res.body)).toEqual(["error"]);
}

/** The paths of a 400's problems, e.g. ["params.jobId"]. */
export const problemPaths = (res: RestResponse) => (res.body.error.problems ?? []).map((p: { path: string }) => p.path);

// GraphQL objects as REST shows them: enums in lower case, joins as ids.
// Field by field, so a field missing on either side shows in toEqual.

const lower = (value: string) => value.toLowerCase();

export function restUser(u: { id: string; email: string; role: string; createdAt: string; updatedAt: string }) {
  return { id: u.id, email: u.email, role: lower(u.role), createdAt: u.createdAt, updatedAt: u.updatedAt };
}

export function restJob(j: {
  id: string;
  vmId: string;
  commandId?: string | null;
  command: string;
  status: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}) {
  return {
    id: j.id,
    vmId: j.vmId,
    commandId: j.commandId ?? null,
    command: j.command,
    status: lower(j.status),
    startedAt: j.startedAt ?? null,
    finishedAt: j.finishedAt ?? null,
  };
}

export function restCommand(c: { id: string; vmId: string; command: string; createdAt: string; issuedBy?: { id: string } | null }) {
  return { id: c.id, vmId: c.vmId, command: c.command, issuedBy: c.issuedBy?.id ?? null, createdAt: c.createdAt };
}

export function restLogLine(l: { jobId: string; ts: string; stream: string; data: string }) {
  return { jobId: l.jobId, ts: l.ts, stream: lower(l.stream), data: l.data };
}
