// npm run seed: a demo data set for the playground. Opens the stores exactly as
// the server does (embedded under DATA_DIR unless configured, so stop a server
// that runs on the embedded stores first), then:
// - users (admin, dev, viewer) and VMs through the services;
// - commands, jobs and log lines through the GraphQL API of an in-process
//   server on 127.0.0.1, signed in as the demo dev, so they take the same path
//   (DynamoDB first, then the cache) as any client's.
// Re-running resets the demo passwords and adds what is missing.
import { ConfigError, loadConfig } from "../src/config/env";
import type { Actor, Role } from "../src/auth/permissions";
import { createLogger } from "../src/infra/logger";
import { startServer } from "../src/server";
import { AppError, ErrorCode } from "../src/shared/errors";
import { openStores } from "../src/stores";

const DEMO_USERS: Array<{ role: Role; email: string; password: string }> = [
  { role: "admin", email: "admin@example.com", password: "demo-admin-password" },
  { role: "dev", email: "dev@example.com", password: "demo-dev-password" },
  { role: "viewer", email: "viewer@example.com", password: "demo-viewer-password" },
];

const DEMO_VMS: Array<{ id: string; name: string; environment: string; tags: Record<string, string> }> = [
  { id: "web-prod-1", name: "web-prod-1", environment: "production", tags: { team: "web", tier: "frontend" } },
  { id: "web-prod-2", name: "web-prod-2", environment: "production", tags: { team: "web", tier: "frontend" } },
  { id: "db-prod-1", name: "db-prod-1", environment: "production", tags: { team: "data", tier: "database" } },
  { id: "api-staging-1", name: "api-staging-1", environment: "staging", tags: { team: "api" } },
  { id: "worker-staging-1", name: "worker-staging-1", environment: "staging", tags: { team: "batch" } },
  { id: "dev-box-ann", name: "dev-box-ann", environment: "development", tags: { owner: "ann" } },
];

const DEMO_COMMANDS: Array<{ command: string; status: "SUCCESS" | "FAILED" | null; lines: Array<[string, string]> }> = [
  {
    command: "uptime",
    status: "SUCCESS",
    lines: [["STDOUT", " 09:41:10 up 12 days,  3:02,  0 users,  load average: 0.08, 0.03, 0.01"]],
  },
  {
    command: "apt-get update",
    status: "FAILED",
    lines: [
      ["STDOUT", "Hit:1 http://deb.debian.org/debian bookworm InRelease"],
      ["STDERR", "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"],
    ],
  },
  {
    command: "tail -f /var/log/syslog",
    status: null,
    lines: [
      ["STDOUT", "systemd[1]: Started Daily apt download activities."],
      ["STDOUT", "CRON[5120]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"],
    ],
  },
];

async function main() {
  const config = loadConfig();
  if (config.isProduction) throw new ConfigError(["NODE_ENV: the demo seed refuses to run in production"]);
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
  const opened = await openStores(config, logger);
  const server = await startServer({ ...config, port: 0, host: "127.0.0.1" }, logger, opened.stores);
  try {
    const { users, vms } = server.container.services;

    const accounts: Record<string, string> = {};
    for (const demo of DEMO_USERS) {
      const { user } = await users.ensureUser(demo, { resetPassword: true });
      accounts[demo.role] = user.id;
    }
    const admin: Actor = { id: accounts.admin!, role: "admin" };

    let created = 0;
    for (const vm of DEMO_VMS) {
      try {
        await vms.create(admin, vm);
        created++;
      } catch (error) {
        if (!(error instanceof AppError && error.code === ErrorCode.CONFLICT)) throw error;
      }
    }
    console.log(`VMs: ${created} created, ${DEMO_VMS.length - created} already there`);

    const commandsNote = await seedCommands(server.url, DEMO_VMS.map((vm) => vm.id));
    console.log(commandsNote);

    console.log("\nDemo accounts (sign in with the login mutation, then set `Authorization: Bearer <token>`):");
    for (const demo of DEMO_USERS) console.log(`  ${demo.role.padEnd(6)}  ${demo.email.padEnd(20)}  ${demo.password}`);
  } finally {
    await server.stop();
    await opened.close();
  }
}

/** Commands, jobs and logs over GraphQL, for the demo VMs that have no command yet. */
async function seedCommands(url: string, vmIds: string[]): Promise<string> {
  const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    if (body.errors?.length) {
      const error = new Error(body.errors.map((e) => e.message).join("; "));
      Object.assign(error, { code: body.errors[0]!.extensions?.code });
      throw error;
    }
    return body.data;
  };
  const dev = DEMO_USERS.find((u) => u.role === "dev")!;
  const { login } = await gql(
    "mutation($email: EmailAddress!, $password: String!) { login(email: $email, password: $password) { token } }",
    { email: dev.email, password: dev.password },
  );
  let commands = 0;
  let lines = 0;
  try {
    for (const vmId of vmIds) {
      const { vm } = await gql("query($id: ID!) { vm(id: $id) { commands(first: 1) { edges { cursor } } } }", { id: vmId }, login.token);
      if (!vm || vm.commands.edges.length > 0) continue;
      for (const demo of DEMO_COMMANDS) {
        const { sendCommand } = await gql(
          "mutation($input: SendCommandInput!) { sendCommand(input: $input) { command { id } job { id } } }",
          { input: { vmId, command: demo.command } },
          login.token,
        );
        commands++;
        const { appendJobLogs } = await gql(
          "mutation($jobId: ID!, $lines: [LogLineInput!]!) { appendJobLogs(jobId: $jobId, lines: $lines) { accepted } }",
          { jobId: sendCommand.job.id, lines: demo.lines.map(([stream, data]) => ({ stream, data })) },
          login.token,
        );
        lines += appendJobLogs.accepted;
        if (demo.status) {
          await gql("mutation($id: ID!, $status: JobStatus!) { setJobStatus(id: $id, status: $status) { id } }", {
            id: sendCommand.job.id,
            status: demo.status,
          }, login.token);
        }
      }
    }
  } catch (error) {
    // A build without the commands/jobs/logs mutations (issue 3) still seeds users and VMs.
    if ((error as { code?: string }).code === "GRAPHQL_VALIDATION_FAILED") {
      return `commands, jobs, logs: skipped, this build lacks the commands/jobs/logs API (${(error as Error).message})`;
    }
    throw error;
  }
  return `commands and jobs: ${commands} created, log lines: ${lines}`;
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
