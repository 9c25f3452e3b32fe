import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateVmDocument, VmDocument, VmsDocument, type VmsQuery, type VmsQueryVariables } from "./generated/graphql";
import { buildVmInput, createUserWithToken } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

let t: TestServer;
let dev: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestServer();
  dev = (await createUserWithToken(t, "dev")).token;
  viewer = (await createUserWithToken(t, "viewer")).token;
});
afterAll(() => t?.close());

async function vmCount(): Promise<number> {
  const out = await t.stores.dynamo.doc.send(new ScanCommand({ TableName: t.stores.tables.vms, Select: "COUNT" }));
  return out.Count ?? 0;
}

describe("createVm and vm", () => {
  it("stores a VM in DynamoDB and reads it back", async () => {
    const input = buildVmInput({ tags: { team: "core", tier: "1" } });
    const created = await t.gql(CreateVmDocument, { input }, { token: dev });
    expect(created.errors).toBeUndefined();
    const vm = created.data!.createVm;
    expect(vm).toMatchObject({ name: input.name, environment: "staging", tags: { team: "core", tier: "1" } });
    expect(vm.createdAt).toBe(vm.updatedAt);

    const item = await t.stores.dynamo.doc.send(new GetCommand({ TableName: t.stores.tables.vms, Key: { vmId: vm.id } }));
    expect(item.Item).toMatchObject({ vmId: vm.id, name: input.name });

    const read = await t.gql(VmDocument, { id: vm.id }, { token: viewer });
    expect(read.data!.vm).toEqual(vm);
  });

  it("keeps a client-chosen id", async () => {
    const created = await t.gql(CreateVmDocument, { input: buildVmInput({ id: "vm-chosen-1" }) }, { token: dev });
    expect(created.data!.createVm.id).toBe("vm-chosen-1");
  });

  it("answers null for an unknown id", async () => {
    const read = await t.gql(VmDocument, { id: "no-such-vm" }, { token: viewer });
    expect(read.errors).toBeUndefined();
    expect(read.data!.vm).toBeNull();
  });
});

describe("createVm bad input stores nothing", () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ["empty name", { name: "" }],
    ["blank environment", { environment: "   " }],
    ["tag value not a string", { tags: { team: 7 } }],
    ["nested tag value", { tags: { team: { a: "b" } } }],
    ["malformed id", { id: "has spaces" }],
  ];
  it.each(cases)("%s → BAD_USER_INPUT", async (_label, override) => {
    const before = await vmCount();
    const result = await t.gql(CreateVmDocument, { input: { ...buildVmInput(), ...override } as never }, { token: dev });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await vmCount()).toBe(before);
  });

  it("an existing id → CONFLICT, nothing overwritten", async () => {
    await t.gql(CreateVmDocument, { input: buildVmInput({ id: "vm-taken", name: "original" }) }, { token: dev });
    const before = await vmCount();
    const again = await t.gql(CreateVmDocument, { input: buildVmInput({ id: "vm-taken", name: "intruder" }) }, { token: dev });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(await vmCount()).toBe(before);
    const read = await t.gql(VmDocument, { id: "vm-taken" }, { token: viewer });
    expect(read.data!.vm!.name).toBe("original");
  });

  it("a viewer → FORBIDDEN, nothing stored", async () => {
    const before = await vmCount();
    const result = await t.gql(CreateVmDocument, { input: buildVmInput() }, { token: viewer });
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await vmCount()).toBe(before);
  });

  it("no token → UNAUTHENTICATED, nothing stored", async () => {
    const before = await vmCount();
    const result = await t.gql(CreateVmDocument, { input: buildVmInput() });
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await vmCount()).toBe(before);
  });
});

describe("vms pagination", () => {
  it("walks an environment newest first, page by page, without repeats", async () => {
    const environment = "paging-env";
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const created = await t.gql(CreateVmDocument, { input: buildVmInput({ environment, name: `p${i}` }) }, { token: dev });
      ids.push(created.data!.createVm.id);
    }
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof t.gql<VmsQuery, VmsQueryVariables>>> = await t.gql(VmsDocument, { environment, first: 3, after }, { token: viewer });
      expect(page.errors).toBeUndefined();
      seen.push(...page.data!.vms.edges.map((e) => e.node.id));
      if (!page.data!.vms.pageInfo.hasNextPage) break;
      after = page.data!.vms.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it("walks all VMs without an environment", async () => {
    const total = await vmCount();
    const seen = new Set<string>();
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const page: Awaited<ReturnType<typeof t.gql<VmsQuery, VmsQueryVariables>>> = await t.gql(VmsDocument, { first: 4, after }, { token: viewer });
      page.data!.vms.edges.forEach((e) => seen.add(e.node.id));
      if (!page.data!.vms.pageInfo.hasNextPage) break;
      after = page.data!.vms.pageInfo.endCursor;
    }
    expect(seen.size).toBe(total);
  });

  it.each([0, -1, 101])("first: %i → BAD_USER_INPUT", async (first) => {
    const result = await t.gql(VmsDocument, { first }, { token: viewer });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("a malformed cursor → BAD_USER_INPUT", async () => {
    const result = await t.gql(VmsDocument, { after: "not-a-cursor" }, { token: viewer });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
