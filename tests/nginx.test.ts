// deploy/nginx.conf as it runs (Debian's nginx; skipped without it): a
// scratch copy whose upstream is two local stand-ins for the API instances.
// A WebSocket upgrade to /graphql (the live tail's graphql-ws) reaches an
// instance with its Upgrade/Connection headers and stays open both ways;
// plain requests carry an X-Request-Id; nginx -t accepts the file.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../src/infra/net";
import { waitFor } from "./support/wait";

const ROOT = path.resolve(import.meta.dirname, "..");
const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p));
if (!NGINX) console.warn("nginx.test.ts skipped: nginx is missing (apt-get install nginx-light; .ci/run installs it)");

/** An API instance's stand-in: answers HTTP with the headers it got, and completes a WebSocket upgrade, then echoes. */
function standIn(name: string): Promise<{ server: Server; port: number; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ instance: name, headers: req.headers }));
  });
  server.on("upgrade", (req, socket) => {
    seen.push(req.headers);
    const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n` +
        `Sec-WebSocket-Protocol: ${req.headers["sec-websocket-protocol"]}\r\nX-Instance: ${name}\r\n\r\n`,
    );
    socket.on("data", (chunk) => socket.write(chunk)); // the tunnel, both ways
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port, seen })));
}

describe.skipIf(!NGINX)("deploy/nginx.conf in front of two instances", () => {
  let dir: string;
  let nginx: ChildProcess;
  let port: number;
  const instances: Array<Awaited<ReturnType<typeof standIn>>> = [];

  beforeAll(async () => {
    instances.push(await standIn("api-1"), await standIn("api-2"));
    port = await findFreePort();
    dir = await mkdtemp(path.join(tmpdir(), "vmo-nginx-"));
    await mkdir(path.join(dir, "logs"));
    const shipped = await readFile(path.join(ROOT, "deploy/nginx.conf"), "utf8");
    const config = shipped
      .replace("server api-1:4000;", `server 127.0.0.1:${instances[0]!.port};`)
      .replace("server api-2:4000;", `server 127.0.0.1:${instances[1]!.port};`)
      .replace("listen 8080;", `listen 127.0.0.1:${port};`);
    expect(config).not.toContain("api-1:4000");
    await writeFile(path.join(dir, "nginx.conf"), config);
    const args = ["-p", `${dir}/`, "-c", path.join(dir, "nginx.conf"), "-g", `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log;`];
    const tested = spawnSync(NGINX!, ["-t", ...args], { encoding: "utf8" });
    expect(tested.status, tested.stderr).toBe(0);
    nginx = spawn(NGINX!, args, { stdio: "ignore" });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, (s) => s === 200, "nginx to proxy");
  });

  afterAll(async () => {
    nginx?.kill("SIGTERM");
    for (const instance of instances) instance.server.closeAllConnections(), instance.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("spreads plain requests over both instances, each with a request id and the client's address", async () => {
    const served = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const body = (await (await fetch(`http://127.0.0.1:${port}/api/vms`)).json()) as { instance: string; headers: Record<string, string> };
      served.add(body.instance);
      expect(body.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
      expect(body.headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(body.headers.connection).toBe("close"); // no Upgrade asked: an ordinary proxied request
    }
    expect([...served].sort()).toEqual(["api-1", "api-2"]);
  });

  it("passes a WebSocket upgrade on /graphql through, and the tunnel carries bytes both ways", async () => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      "GET /graphql HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
    );
    await expect.poll(() => received, { timeout: 10_000 }).toContain("\r\n\r\n");
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    expect(received).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(received).toMatch(/Sec-WebSocket-Protocol: graphql-transport-ws/i);
    const upgraded = instances.flatMap((i) => i.seen).find((h) => h.upgrade);
    expect(upgraded).toMatchObject({ upgrade: "websocket", connection: "upgrade", "sec-websocket-protocol": "graphql-transport-ws" });
    const before = received.length;
    socket.write("ping through the tunnel");
    await expect.poll(() => received.slice(before), { timeout: 10_000 }).toBe("ping through the tunnel");
    socket.destroy();
  });
});
