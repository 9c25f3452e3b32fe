// make demo: src/main.ts with DEMO=on on embedded stores seeds the demo data
// set when the stores are empty and prints its accounts, as npm run seed does;
// started again on the same data it seeds nothing more. Production refuses it.
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../src/config/env";
import { DEMO_USERS, DEMO_VMS } from "../src/demo/demo-seed";
import { playgroundIntro } from "../src/graphql/playground-intro";
import { startDevServer, type DevServer } from "./support/dev-server";

vi.setConfig({ testTimeout: 180_000 });

async function gql(base: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

async function signIn(base: string, role: string): Promise<string> {
  const demo = DEMO_USERS.find((u) => u.role === role)!;
  const out = await gql(base, "mutation($e: EmailAddress!, $p: String!) { login(email: $e, password: $p) { token } }", { e: demo.email, p: demo.password });
  expect(out.errors).toBeUndefined();
  return out.data.login.token;
}

const stop = async (dev: DevServer) => {
  dev.child.kill("SIGTERM");
  expect(await dev.exited).toBe(0);
};

describe("make demo", () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir) await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it("seeds empty stores on start, prints the demo accounts, and seeds nothing more on the next start", async () => {
    const first = await startDevServer({ env: { DEMO: "on" } });
    dataDir = first.dataDir;
    try {
      await expect.poll(() => first.stdout()).toContain("Demo accounts");
      expect(first.stdout()).toMatch(/demo data seeded: 6 VMs; commands and jobs: 18 created, log lines: \d+/);
      for (const demo of DEMO_USERS) expect(first.stdout()).toContain(`${demo.email.padEnd(20)}  ${demo.password}`);
      const token = await signIn(first.url()!, "dev");
      const vms = await gql(first.url()!, "{ vms(first: 50) { edges { node { id } } } }", {}, token);
      expect(vms.data.vms.edges.map((e: { node: { id: string } }) => e.node.id).sort()).toEqual(DEMO_VMS.map((vm) => vm.id).sort());
      const jobs = await gql(first.url()!, "{ jobs(first: 50) { edges { node { id } } } }", {}, token);
      expect(jobs.data.jobs.edges).toHaveLength(18);
    } finally {
      await stop(first);
    }

    const again = await startDevServer({ dataDir, env: { DEMO: "on" } });
    try {
      await expect.poll(() => again.stdout()).toContain("Demo accounts");
      expect(again.stdout()).toContain("demo: the stores are not empty, nothing seeded");
      const token = await signIn(again.url()!, "admin");
      const jobs = await gql(again.url()!, "{ jobs(first: 50) { edges { node { id } } } }", {}, token);
      expect(jobs.data.jobs.edges).toHaveLength(18);
    } finally {
      await stop(again);
    }
  });

  it("is refused in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", DEMO: "on", JWT_SECRET: "x".repeat(32), DATABASE_URL: "postgresql://u@h/db", AWS_REGION: "eu-west-1" })).toThrow(
      /DEMO: is refused when NODE_ENV=production/,
    );
    expect(loadConfig({}).demo).toBe(false);
  });
});

describe("the playground's first tab", () => {
  it("shows how to sign in, where the header goes, and example queries; with the demo, its accounts", () => {
    const intro = playgroundIntro({ demo: true });
    expect(intro).toContain("mutation SignIn");
    expect(intro).toContain('login(email: "dev@example.com", password: "demo-dev-password")');
    expect(intro).toContain('Open the Headers tab under this editor and paste, with your token:\n#      { "Authorization": "Bearer <token>" }');
    for (const operation of ["query Me", "query Vms", "query RecentJobs", "query JobLogs"]) expect(intro).toContain(operation);
    for (const demo of DEMO_USERS) expect(intro).toContain(demo.password);
    expect(playgroundIntro({ demo: false })).not.toContain("demo-admin-password");
  });
});
