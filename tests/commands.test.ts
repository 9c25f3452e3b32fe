// sendCommand, Command's joins, updateVm and deleteVm over the real stores.
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CommandDocument,
  DeleteVmDocument,
  JobDocument,
  SendCommandDocument,
  UpdateVmDocument,
  VmCommandsDocument,
  VmDocument,
  VmJobsDocument,
} from "./generated/graphql";
import { storedCounts } from "./support/counts";
import { createUserWithToken, createVm, sendCommand } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let dev: string;
let devId: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestServer();
  const d = await createUserWithToken(t, "dev");
  dev = d.token;
  devId = d.user.id;
  viewer = (await createUserWithToken(t, "viewer")).token;
});
afterAll(() => t?.close());

describe("sendCommand", () => {
  it("stores the command and its RUNNING job in DynamoDB, issued by the caller, then caches the job", async () => {
    const vm = await createVm(t, dev);
    const { command, job } = await sendCommand(t, dev, vm.id, "df -h");
    expect(command).toMatchObject({ vmId: vm.id, command: "df -h", issuedBy: { id: devId } });
    expect(job).toMatchObject({ vmId: vm.id, commandId: command.id, command: "df -h", status: "RUNNING", finishedAt: null });
    expect(job.startedAt).toBe(command.createdAt);

    const commandItem = await t.stores.dynamo.doc.send(new GetCommand({ TableName: t.stores.tables.commands, Key: { commandId: command.id } }));
    expect(commandItem.Item).toMatchObject({ vmId: vm.id, command: "df -h", issuedBy: devId });
    const jobItem = await t.stores.dynamo.doc.send(new GetCommand({ TableName: t.stores.tables.jobs, Key: { jobId: job.id } }));
    expect(jobItem.Item).toMatchObject({ vmId: vm.id, commandId: command.id, status: "running" });

    await t.server.container.cache.writer.idle();
    const cached = await t.stores.prisma.job.findUnique({ where: { id: job.id } });
    expect(cached).toMatchObject({ vmId: vm.id, commandId: command.id, status: "running", command: "df -h" });
  });

  const badInputs: Array<[string, string, string]> = [
    ["empty command", "vm-exists", ""],
    ["blank command", "vm-exists", "   \n\t"],
    ["command over 16 KiB", "vm-exists", "x".repeat(16 * 1024 + 1)],
    ["command with a NUL", "vm-exists", "echo \u0000"],
    ["malformed vmId", "has spaces", "uptime"],
  ];
  it.each(badInputs)("%s → BAD_USER_INPUT, nothing stored", async (_label, vmId, text) => {
    await createVm(t, dev, { id: "vm-exists" }).catch(() => undefined);
    const before = await storedCounts(t);
    const result = await t.gql(SendCommandDocument, { input: { vmId, command: text } }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await storedCounts(t)).toEqual(before);
  });

  it("a command of exactly 16 KiB is accepted", async () => {
    const vm = await createVm(t, dev);
    const result = await t.gql(SendCommandDocument, { input: { vmId: vm.id, command: "é".repeat(8 * 1024) } }, { token: dev });
    expect(result.errors).toBeUndefined();
  });

  it("an unknown vmId → NOT_FOUND, nothing stored in either store", async () => {
    const before = await storedCounts(t);
    const result = await t.gql(SendCommandDocument, { input: { vmId: "no-such-vm", command: "uptime" } }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await storedCounts(t)).toEqual(before);
  });

  it("a viewer → FORBIDDEN, nothing stored", async () => {
    const vm = await createVm(t, dev);
    const before = await storedCounts(t);
    const result = await t.gql(SendCommandDocument, { input: { vmId: vm.id, command: "uptime" } }, { token: viewer });
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await storedCounts(t)).toEqual(before);
  });
});

describe("command and its joins", () => {
  it("resolves vm, issuedBy and jobs", async () => {
    const vm = await createVm(t, dev);
    const { command, job } = await sendCommand(t, dev, vm.id);
    const read = await t.gql(CommandDocument, { id: command.id }, { token: viewer });
    expect(read.errors).toBeUndefined();
    expect(read.data!.command).toMatchObject({ id: command.id, vm: { id: vm.id }, issuedBy: { id: devId } });
    expect(read.data!.command!.jobs.edges.map((e) => e.node)).toEqual([job]);
  });

  it("answers null for an unknown id and BAD_USER_INPUT for one that is not a UUID", async () => {
    const unknown = await t.gql(CommandDocument, { id: "00000000-0000-4000-8000-000000000000" }, { token: viewer });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.command).toBeNull();
    const malformed = await t.gql(CommandDocument, { id: "not-a-uuid" }, { token: viewer });
    expect(malformed.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("Vm.commands walks newest first without repeats", async () => {
    const vm = await createVm(t, dev);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await sendCommand(t, dev, vm.id, `echo ${i}`)).command.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page: Awaited<ReturnType<typeof readCommands>> = await readCommands(vm.id, after);
      seen.push(...page.edges.map((e) => e.node.id));
      page.edges.forEach((e) => expect(e.node).toMatchObject({ vm: { id: vm.id }, issuedBy: { id: devId } }));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    expect(seen).toEqual([...sent].reverse());
  });
});

async function readCommands(vmId: string, after: string | null) {
  const result = await t.gql(VmCommandsDocument, { id: vmId, first: 2, after }, { token: viewer });
  expect(result.errors).toBeUndefined();
  return result.data!.vm!.commands;
}

describe("updateVm", () => {
  it("changes the given fields, keeps createdAt and moves updatedAt", async () => {
    const vm = await createVm(t, dev, { name: "before", tags: { a: "1" } });
    const result = await t.gql(UpdateVmDocument, { id: vm.id, input: { name: "after" } }, { token: dev });
    expect(result.errors).toBeUndefined();
    const updated = result.data!.updateVm;
    expect(updated).toMatchObject({ id: vm.id, name: "after", environment: vm.environment, tags: { a: "1" }, createdAt: vm.createdAt });
    expect(updated.updatedAt >= vm.updatedAt).toBe(true);
    expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).toEqual(updated);
  });

  it("an unknown VM → NOT_FOUND, and nothing is created", async () => {
    const result = await t.gql(UpdateVmDocument, { id: "vm-never-made", input: { name: "x" } }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await t.gql(VmDocument, { id: "vm-never-made" }, { token: viewer })).data!.vm).toBeNull();
  });

  it.each([
    ["no field", {}],
    ["an empty name", { name: "" }],
    ["a non-string tag", { tags: { a: 1 } }],
  ])("%s → BAD_USER_INPUT, nothing changed", async (_label, input) => {
    const vm = await createVm(t, dev);
    const result = await t.gql(UpdateVmDocument, { id: vm.id, input: input as never }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).toEqual(vm);
  });
});

describe("deleteVm", () => {
  it("removes the VM and keeps its history: Command.vm and Job.vm become null", async () => {
    const vm = await createVm(t, dev);
    const { command, job } = await sendCommand(t, dev, vm.id);
    const deleted = await t.gql(DeleteVmDocument, { id: vm.id }, { token: dev });
    expect(deleted.data?.deleteVm).toBe(true);

    expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).toBeNull();
    const readCommand = await t.gql(CommandDocument, { id: command.id }, { token: viewer });
    expect(readCommand.data!.command).toMatchObject({ id: command.id, vm: null });
    const readJob = await t.gql(JobDocument, { id: job.id }, { token: viewer });
    expect(readJob.data!.job).toMatchObject({ id: job.id, vm: null });
  });

  it("a VM re-created under a deleted VM's id does not inherit its jobs", async () => {
    const vm = await createVm(t, dev);
    await sendCommand(t, dev, vm.id);
    await t.gql(DeleteVmDocument, { id: vm.id }, { token: dev });
    await createVm(t, dev, { id: vm.id });
    await t.server.container.cache.writer.idle();
    const jobs = await t.gql(VmJobsDocument, { id: vm.id }, { token: viewer });
    expect(jobs.data!.vm!.jobs.edges).toEqual([]);
  });

  it("an unknown VM → NOT_FOUND; a viewer → FORBIDDEN", async () => {
    const unknown = await t.gql(DeleteVmDocument, { id: "no-such-vm" }, { token: dev });
    expect(unknown.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const vm = await createVm(t, dev);
    const forbidden = await t.gql(DeleteVmDocument, { id: vm.id }, { token: viewer });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await t.gql(VmDocument, { id: vm.id }, { token: viewer })).data!.vm).not.toBeNull();
  });

  it("sendCommand to a deleted VM → NOT_FOUND", async () => {
    const vm = await createVm(t, dev);
    await t.gql(DeleteVmDocument, { id: vm.id }, { token: dev });
    const result = await t.gql(SendCommandDocument, { input: { vmId: vm.id, command: "uptime" } }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});
