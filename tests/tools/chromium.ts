/**
 * A minimal Chrome DevTools Protocol client for the report tests: headless Chromium (Debian's
 * `chromium`), each page in its own tab, with the network emulated offline. It reports what a person
 * would see go wrong: console errors and exceptions, requests that leave `file://`, charts that did
 * not render (no marks), images that did not load, and links to files that do not exist.
 */
import { fileURLToPath } from "node:url";
import { mapConcurrent } from "./concurrent.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** What one page check found. */
export interface PageReport {
  url: string;
  consoleErrors: string[];
  externalRequests: string[];
  /** Each `figure.chart`: its id, whether it rendered interactively, and its mark count. */
  charts: { id: string; interactive: boolean; marks: number; staticShown: boolean }[];
  brokenImages: string[];
  brokenLinks: string[];
  /** The value of the `probe` expression, evaluated after the page rendered. */
  probe?: unknown;
}

/** How one page is checked. */
export interface CheckOptions {
  /** Save a full-page PNG here. */
  screenshot?: string;
  scriptsDisabled?: boolean;
  /** How long the page may take to load and draw its charts (30 s by default). */
  timeoutMs?: number;
  /** An expression evaluated once the page rendered: `PageReport.probe`. */
  probe?: string;
  /** Viewport width in CSS pixels (1200 by default; a phone is about 390). */
  width?: number;
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/** A running headless Chromium with a DevTools connection. */
export class Chromium {
  #ws: WebSocket;
  #proc: Deno.ChildProcess;
  #dir: string;
  #stderr: ReadableStreamDefaultReader<string>;
  #drain: Promise<void>;
  #next = 1;
  #pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  #listeners: ((m: Message) => void)[] = [];

  private constructor(
    ws: WebSocket,
    proc: Deno.ChildProcess,
    dir: string,
    stderr: ReadableStreamDefaultReader<string>,
  ) {
    this.#ws = ws;
    this.#proc = proc;
    this.#dir = dir;
    this.#stderr = stderr;
    // Keep draining stderr so Chromium never blocks on it (cancelled in close()).
    this.#drain = (async () => {
      try {
        while (!(await stderr.read()).done) { /* discard */ }
      } catch { /* cancelled */ }
    })();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data) as Message;
      if (m.id !== undefined) {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result ?? {});
      } else this.#listeners.forEach((l) => l(m));
    };
  }

  /** Start Chromium, or return null when it is not installed. */
  static async launch(): Promise<Chromium | null> {
    try {
      await Deno.stat(CHROMIUM);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e; // a permission error is a failure, never a silent skip
    }

    const dir = await Deno.makeTempDir({ prefix: "scorelab-chromium-" });
    const proc = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--allow-file-access-from-files",
        `--user-data-dir=${dir}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!url && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
    }
    if (!url) {
      proc.kill();
      await proc.status;
      await reader.cancel();
      throw new Error(`chromium did not start:\n${text.slice(-2000)}`);
    }
    const ws = new WebSocket(url);
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = () => rej(new Error("DevTools connection failed"));
    });
    return new Chromium(ws, proc, dir, reader);
  }

  #send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
  }

  /**
   * Check `pages` (see {@link check}), `concurrency` tabs at a time; the reports in the pages'
   * order. A page's rendering runs mostly on one core: the quick site's 26 pages took 44 s two tabs
   * at a time against 56 s one at a time (2 cores).
   */
  checkAll(
    pages: { url: string; options?: CheckOptions }[],
    concurrency = 2,
  ): Promise<PageReport[]> {
    return mapConcurrent(pages, concurrency, (p) => this.check(p.url, p.options));
  }

  /** Open `url`, let it render, and report what went wrong; optionally save a screenshot. */
  async check(url: string, o: CheckOptions = {}): Promise<PageReport> {
    const { targetId } = await this.#send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await this.#send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    const report: PageReport = {
      url,
      consoleErrors: [],
      externalRequests: [],
      charts: [],
      brokenImages: [],
      brokenLinks: [],
    };
    let loaded = false;
    const listener = (m: Message) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params ?? {};
      if (m.method === "Runtime.consoleAPICalled" && p.type === "error") {
        report.consoleErrors.push(
          (p.args as { value?: unknown; description?: string }[]).map((a) =>
            String(a.value ?? a.description)
          ).join(" "),
        );
      } else if (m.method === "Runtime.exceptionThrown") {
        const d = p.exceptionDetails as { text: string; exception?: { description?: string } };
        report.consoleErrors.push(`${d.text} ${d.exception?.description ?? ""}`.trim());
      } else if (m.method === "Log.entryAdded") {
        const e = p.entry as { level: string; text: string; url?: string };
        if (e.level === "error") {
          report.consoleErrors.push(`${e.text}${e.url ? ` (${e.url})` : ""}`);
        }
      } else if (m.method === "Network.requestWillBeSent") {
        const r = (p.request as { url: string }).url;
        if (!r.startsWith("file:") && !r.startsWith("data:") && !r.startsWith("about:")) {
          report.externalRequests.push(r);
        }
      } else if (m.method === "Page.loadEventFired") loaded = true;
    };
    this.#listeners.push(listener);
    try {
      for (const d of ["Page.enable", "Runtime.enable", "Log.enable", "Network.enable"]) {
        await this.#send(d, {}, sessionId);
      }
      await this.#send("Network.emulateNetworkConditions", {
        offline: true,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      }, sessionId);
      await this.#send("Emulation.setDeviceMetricsOverride", {
        width: o.width ?? 1200,
        height: 900,
        deviceScaleFactor: 1,
        mobile: (o.width ?? 1200) < 600,
      }, sessionId);
      if (o.scriptsDisabled) {
        await this.#send("Emulation.setScriptExecutionDisabled", { value: true }, sessionId);
      }
      await this.#send("Page.navigate", { url }, sessionId);
      const evaluate = async (expression: string) =>
        ((await this.#send("Runtime.evaluate", { expression, returnByValue: true }, sessionId))
          .result as { value: unknown }).value;
      const deadline = Date.now() + (o.timeoutMs ?? 30_000);
      while (!loaded && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Wait until every chart rendered (or failed: its error is in the console).
      while (Date.now() < deadline && !o.scriptsDisabled) {
        const s = await evaluate(`[document.querySelectorAll("figure.chart").length,
          document.querySelectorAll("figure.chart.interactive").length]`) as number[];
        if (s[0] === s[1] || report.consoleErrors.length > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      report.charts = await evaluate(`[...document.querySelectorAll("figure.chart")].map((f) => {
        const marks = f.querySelectorAll(".embed svg g[class*='mark-'] > path, .embed svg g[class*='mark-'] > line, .embed svg g[class*='mark-'] > text, .embed svg g[class*='mark-'] > rect, .embed canvas").length;
        const img = f.querySelector("img.static");
        const staticShown = !!img && img.complete && img.naturalWidth > 0 && getComputedStyle(img).display !== "none";
        return { id: f.id, interactive: f.classList.contains("interactive"), marks, staticShown };
      })`) as PageReport["charts"];
      report.brokenImages = await evaluate(
        `[...document.images].filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src)`,
      ) as string[];
      const links = await evaluate(
        `[...document.querySelectorAll("a[href]")].map((a) => a.href)`,
      ) as string[];
      for (const l of links) {
        if (!l.startsWith("file:")) {
          report.brokenLinks.push(`${l} (not a file of the site)`);
          continue;
        }
        try {
          await Deno.stat(fileURLToPath(l.replace(/[#?].*$/, "")));
        } catch {
          report.brokenLinks.push(l);
        }
      }
      if (o.probe) report.probe = await evaluate(o.probe);
      if (o.screenshot) {
        const { data } = await this.#send("Page.captureScreenshot", {
          format: "png",
          captureBeyondViewport: true,
        }, sessionId) as { data: string };
        await Deno.writeFile(o.screenshot, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
      }
      return report;
    } finally {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      await this.#send("Target.closeTarget", { targetId });
    }
  }

  /**
   * Open `url` (an http page of a local server: no offline emulation, and any request that does
   * not go to the page's own origin is reported), wait until the expression `until` is true, and
   * return the value of `value` with the requests made off the origin and the console errors.
   */
  async waitFor(
    url: string,
    o: { until: string; value: string; timeoutMs: number },
  ): Promise<{ value: unknown; offOrigin: string[]; consoleErrors: string[]; timedOut: boolean }> {
    const origin = new URL(url).origin;
    const { targetId } = await this.#send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await this.#send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    const offOrigin: string[] = [], consoleErrors: string[] = [];
    const listener = (m: Message) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params ?? {};
      if (m.method === "Network.requestWillBeSent") {
        const r = (p.request as { url: string }).url;
        if (!r.startsWith(origin) && !r.startsWith("data:") && !r.startsWith("blob:")) {
          offOrigin.push(r);
        }
      } else if (m.method === "Runtime.exceptionThrown") {
        const d = p.exceptionDetails as { text: string; exception?: { description?: string } };
        consoleErrors.push(`${d.text} ${d.exception?.description ?? ""}`.trim());
      } else if (m.method === "Runtime.consoleAPICalled" && p.type === "error") {
        consoleErrors.push(
          (p.args as { value?: unknown; description?: string }[]).map((a) =>
            String(a.value ?? a.description)
          ).join(" "),
        );
      }
    };
    this.#listeners.push(listener);
    try {
      for (const d of ["Page.enable", "Runtime.enable", "Network.enable"]) {
        await this.#send(d, {}, sessionId);
      }
      await this.#send("Page.navigate", { url }, sessionId);
      const evaluate = async (expression: string) =>
        ((await this.#send("Runtime.evaluate", { expression, returnByValue: true }, sessionId))
          .result as { value: unknown }).value;
      const deadline = Date.now() + o.timeoutMs;
      let timedOut = true;
      while (Date.now() < deadline) {
        if (await evaluate(`!!(${o.until})`)) {
          timedOut = false;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      return { value: await evaluate(o.value), offOrigin, consoleErrors, timedOut };
    } finally {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      await this.#send("Target.closeTarget", { targetId });
    }
  }

  /** Stop Chromium and remove its profile. */
  async close(): Promise<void> {
    const closed = new Promise((r) => (this.#ws.onclose = r));
    this.#ws.close();
    await closed;
    this.#proc.kill();
    await this.#proc.status;
    // Chromium's helper processes may still hold the stderr pipe: stop reading it ourselves.
    await this.#stderr.cancel();
    await this.#drain;

    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
