// A tiny REST client for tests: real HTTP against a TestServer's /api.
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
