// The demo data set (npm run seed, make demo): three users, six VMs, and a few
// commands with their jobs and log lines. Users and VMs go through the
// services; commands, jobs and lines through the GraphQL API of the running
// server, signed in as the demo dev, so they take the same path (DynamoDB
// first, then the cache) as any client's. Running it again resets the demo
// passwords and adds what is missing.
import type { Actor, Role } from "../auth/permissions.js";
import type { Container } from "../container.js";
import { AppError, ErrorCode } from "../shared/errors.js";

export const DEMO_USERS: Array<{ role: Role; email: string; password: string }> = [
  { role: "admin", email: "admin@example.com", password: "demo-admin-password" },
  { role: "dev", email: "dev@example.com", password: "demo-dev-password" },
  { role: "viewer", email: "viewer@example.com", password: "demo-viewer-password" },
];

export const DEMO_VMS: Array<{ id: string; name: string; environment: string; tags: Record<string, string> }> = [
  { id: "web-prod-1", name: "web-prod-1", environment: "production", tags: { team: "web", tier: "frontend" } },
  { id: "web-prod-2", name: "web-prod-2", environment: "production", tags: { team: "web", tier: "frontend" } },
  { id: "db-prod-1", name: "db-prod-1", environment: "production", tags: { team: "data", tier: "database" } },
  { id: "api-staging-1", name: "api-staging-1", environment: "staging", tags: { team: "api" } },
  { id: "worker-staging-1", name: "worker-staging-1", environment: "staging", tags: { team: "batch" } },
  { id: "dev-box-ann", name: "dev-box-ann", environment: "development", tags: { owner: "ann" } },
];

export const DEMO_COMMANDS: Array<{ command: string; status: "SUCCESS" | "FAILED" | null; lines: Array<[string, string]> }> = [
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

export interface DemoSeedResult {
  vmsCreated: number;
  vmsPresent: number;
  commandsNote: string;
}

/** Seeds the demo data through `container`'s services and the server at `url`. */
export async function seedDemo(container: Container, url: string): Promise<DemoSeedResult> {
  const { users, vms } = container.services;
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
  const commandsNote = await seedCommands(url, DEMO_VMS.map((vm) => vm.id));
  return { vmsCreated: created, vmsPresent: DEMO_VMS.length - created, commandsNote };
}

/** No user and no VM: a new deployment (make demo seeds only then). */
export async function storesAreEmpty(container: Container): Promise<boolean> {
  const [users, vms] = await Promise.all([container.repositories.users.list({ limit: 1 }), container.repositories.vms.list({ limit: 1 })]);
  return users.length === 0 && vms.length === 0;
}

/** The lines npm run seed and make demo print: the demo accounts and how to use them. */
export function describeDemoAccounts(): string {
  return [
    "Demo accounts (sign in with the login mutation, then set `Authorization: Bearer <token>`):",
    ...DEMO_USERS.map((demo) => `  ${demo.role.padEnd(6)}  ${demo.email.padEnd(20)}  ${demo.password}`),
  ].join("\n");
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

