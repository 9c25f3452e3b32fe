// The playground as a developer meets it: Debian's Chromium opens /graphql,
// everything it loads comes from this server (so it works offline), and a
// query run with an Authorization header set in the headers editor answers.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppendJobLogsDocument, CreateVmDocument } from "./generated/graphql";
import { buildVmInput, createUserWithToken, sendCommand } from "./support/factories";
import { startTestServer, type TestServer } from "./support/test-server";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`playground.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const QUERY = "{ vms(first: 5) { edges { node { id name } } } }";

describe.skipIf(!hasChromium)("the playground in Chromium", { timeout: 60_000 }, () => {
  let t: TestServer;
  let token: string;
  let vmName: string;
  let profileDir: string;
  let context: BrowserContext;
  /** Every URL the browser asked for, pages and workers alike. */
  const requested: string[] = [];
  /** Answers of this server with a status >= 400 (a missing asset, say). */
  const failed: string[] = [];
  /** What the page's Content-Security-Policy blocked (it must block nothing the playground needs). */
  const blocked: string[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    token = (await createUserWithToken(t, "dev")).token;
    const created = await t.gql(CreateVmDocument, { input: buildVmInput() }, { token });
    expect(created.errors).toBeUndefined();
    vmName = created.data!.createVm.name;

    profileDir = await mkdtemp(path.join(tmpdir(), "vmo-chromium-"));
    // launchPersistentContext is how playwright takes a user-data-dir: a fresh
    // one, so no GraphiQL state (tabs, headers) from an earlier run leaks in.
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
    });
    context.on("request", (request) => requested.push(request.url()));
    context.on("response", (response) => {
      // A browser may ask for a favicon on its own; we serve none and need none.
      if (response.status() >= 400 && !response.url().endsWith("/favicon.ico")) failed.push(`${response.status()} ${response.url()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    await t?.close();
  });

  async function openPlayground(): Promise<Page> {
    const page = await context.newPage();
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${t.url}/graphql`);
    // The editors are Monaco; the query editor exists once ruru's bundle has rendered.
    try {
      await page.locator(".graphiql-query-editor .monaco-editor").waitFor({ timeout: 30_000 });
    } catch (error) {
      // Name the likely cause: an asset from elsewhere, or one this server lacks.
      const external = requested.filter((url) => !isLocal(url));
      throw new Error(`the editor did not appear; external requests: ${JSON.stringify(external)}; failed: ${JSON.stringify(failed)}`, {
        cause: error,
      });
    }
    return page;
  }

  /** Replaces a Monaco editor's text the way a person pastes into it. */
  async function fill(page: Page, editor: Locator, text: string): Promise<void> {
    await editor.locator(".view-lines").click();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Delete");
    if (text) await page.keyboard.insertText(text);
  }

  async function runQuery(page: Page, headers: string, query = QUERY): Promise<Locator> {
    await page.getByRole("button", { name: "Headers", exact: true }).click();
    const headersEditor = page.locator(".graphiql-editor-tool .monaco-editor").filter({ visible: true });
    await headersEditor.waitFor();
    await fill(page, headersEditor, headers);
    await fill(page, page.locator(".graphiql-query-editor .monaco-editor"), query);
    // GraphiQL parses the document after a debounce; see runSubscription.
    await page.waitForTimeout(1_000);
    await page.locator(".graphiql-execute-button").click();
    return page.locator(".graphiql-response .result-window");
  }

  /**
   * GraphiQL's fetcher sends an operation over graphql-ws only once it has
   * parsed the editor's document (a debounce, longer on a loaded machine);
   * before that it POSTs, and the server answers that subscriptions are served
   * over WebSocket. A person who runs it again a moment later gets the
   * subscription: so does this.
   */
  async function runSubscription(page: Page, headers: string, subscription: string): Promise<Locator> {
    const result = await runQuery(page, headers, subscription);
    for (let attempt = 0; attempt < 20; attempt++) {
      await page.waitForTimeout(500);
      // Monaco renders spaces as no-break spaces.
      if (!(await result.innerText()).replaceAll("\u00a0", " ").includes("served over WebSocket")) return result;
      await page.locator(".graphiql-execute-button").click();
    }
    return result;
  }

  it("loads from this server only, with the query and headers editors", async () => {
    const page = await openPlayground();
    // The headers editor's tab, where a person pastes their Authorization header.
    await page.getByRole("button", { name: "Headers", exact: true }).waitFor({ state: "visible" });
    await page.getByRole("button", { name: "Variables", exact: true }).waitFor({ state: "visible" });
    // A new profile opens on the first tab: how to sign in and where the header goes (src/graphql/playground-intro.ts).
    // Monaco renders spaces as no-break spaces; \s matches both.
    const firstTab = (await page.locator(".graphiql-query-editor .view-lines").innerText()).replace(/\s+/g, " ");
    expect(firstTab).toContain("Sign in: run");
    expect(firstTab).toContain("Open the Headers tab under this editor");
    expect(firstTab).toContain('{ "Authorization": "Bearer <token>" }');
    await screenshot(page, "loaded");
    const external = requested.filter((url) => !isLocal(url));
    expect(external).toEqual([]);
    expect(requested.some((url) => url.includes("/graphql/assets/ruru.js"))).toBe(true);
    expect(failed).toEqual([]);
    expect(blocked).toEqual([]);
    await page.close();
  });

  it("runs a query with the Authorization header set in the headers editor", async () => {
    const page = await openPlayground();
    const result = await runQuery(page, JSON.stringify({ Authorization: `Bearer ${token}` }));
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toContain(vmName);
    await screenshot(page, "authorized");
    expect(await result.innerText()).not.toContain("UNAUTHENTICATED");
    expect(requested.filter((url) => !isLocal(url))).toEqual([]);
    await page.close();
  });

  it("shows UNAUTHENTICATED without the header", async () => {
    const page = await openPlayground();
    const result = await runQuery(page, "");
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toContain("UNAUTHENTICATED");
    await screenshot(page, "unauthenticated");
    expect(await result.innerText()).not.toContain(vmName);
    await page.close();
  });
  // Last: GraphiQL remembers its tabs (and their parse) in the profile, so a page opened after this one would start on the subscription.
  it("runs a subscription over graphql-ws with the same header, and shows a line appended meanwhile", async () => {
    const vm = (await t.gql(CreateVmDocument, { input: buildVmInput() }, { token })).data!.createVm;
    const job = (await sendCommand(t, token, vm.id)).job;
    const page = await openPlayground();
    const subscription = `subscription FollowJob { jobLogTail(jobId: "${job.id}") { status lines { node { data } } } }`;
    const result = await runSubscription(page, JSON.stringify({ Authorization: `Bearer ${token}` }), subscription);
    await expect.poll(() => t.server.container.services.liveTail.subscribers(job.id), { timeout: 20_000 }).toBe(1);
    const appended = await t.gql(AppendJobLogsDocument, { jobId: job.id, lines: [{ stream: "STDOUT", data: "hello-from-the-live-tail" }] }, { token });
    expect(appended.errors).toBeUndefined();
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toContain("hello-from-the-live-tail");
    await screenshot(page, "subscription");
    await page.close();
  });
});

/** PLAYGROUND_SHOTS=<dir> keeps what the browser showed, for a person to look at. */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.PLAYGROUND_SHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** Loopback, or a URL the page makes itself (data:, blob:). */
function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:") return true;
  return hostname === "127.0.0.1";
}
