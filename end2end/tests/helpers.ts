// Shared by the specs: the test function, fresh document ids and opening an editor that is live.
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { connect, createServer, type Socket } from 'node:net';

/**
 * Playwright's `test`, with two automatic fixtures:
 * - `consoleGuard` fails the test if any page of any context it opened (its
 *   own `page`, or contexts made with `browser.newContext()` / `newPage()`)
 *   throws an uncaught error or logs a panic — a Rust panic in the wasm is
 *   reported on the console, and the trap that follows as a page error;
 * - `closeContexts` closes, after each test, the browser contexts it opened:
 *   the browser lives as long as the run, so pages of earlier tests would
 *   otherwise stay open and connected, loading every later test.
 */
export const test = base.extend<{ closeContexts: void; consoleGuard: void }>({
  consoleGuard: [
    async ({ browser }, use) => {
      const faults: string[] = [];
      const guard = (context: BrowserContext) => {
        context.on('weberror', (e) => faults.push(`page error at ${e.page()?.url()}: ${e.error().message}`));
        context.on('console', (m) => {
          if (m.text().includes('panicked')) faults.push(`console.${m.type()} at ${m.page()?.url()}: ${m.text()}`);
        });
      };
      // Every context is made through `browser.newContext` (`browser.newPage`
      // and the built-in `page` fixture call it too), so that is where to watch.
      const newContext = browser.newContext;
      browser.newContext = async (...args) => {
        const context = await newContext.apply(browser, args);
        guard(context);
        return context;
      };
      try {
        await use();
      } finally {
        browser.newContext = newContext;
      }
      expect(faults, 'the pages logged no panic and threw no error').toEqual([]);
    },
    { auto: true },
  ],
  closeContexts: [
    async ({ browser }, use) => {
      const before = new Set(browser.contexts());
      await use();
      await Promise.all(browser.contexts().filter((c) => !before.has(c)).map((c) => c.close()));
    },
    { auto: true },
  ],
});

/** A document id no other test uses. */
export const freshId = (prefix = 'e2e') =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** A new browser context whose pages present themselves as `name` in `color`, as if chosen on an earlier visit. */
export async function contextAs(browser: Browser, name: string, color = '#c2255c'): Promise<BrowserContext> {
  const context = await browser.newContext();
  // Init scripts run in every document, the first about:blank too, where storage is denied.
  await context.addInitScript(
    ([n, c]) => location.protocol.startsWith('http') && localStorage.setItem('tandem.user', JSON.stringify({ name: n, color: c })),
    [name, color],
  );
  return context;
}

/** `path` under `base`, which may itself have a path (a proxy's sub-path): `under('http://h/team', 'd/x')` is `http://h/team/d/x`. */
export function under(base: string, path: string): string {
  return new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`).toString();
}

/** Opens `path` (an editor page) in a new browser context and waits until it is connected and synced. */
export async function openEditor(browser: Browser, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  const timeline = record(page);
  try {
    await page.goto(path);
    // A debug build's first page load on a busy two-core machine can take
    // seconds; a page that never connects still fails here.
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
    await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  } catch (e) {
    // What the page went through, for a failure that does not reproduce.
    throw new Error(`${(e as Error).message}\n\nthe page's timeline:\n${timeline.join('\n')}`);
  }
  return page;
}

/**
 * What the body's editing surface (CodeMirror) lets scripts do, through its
 * host element's `surface` property; positions are UTF-16 code units.
 */
export interface SurfaceHook {
  /** The whole text the surface shows. */
  text(): string;
  /** The selection, `[anchor, head]`. */
  selection(): [number, number];
  /** Selects `anchor..head` (a caret if `head` is left out) and scrolls to it. */
  select(anchor: number, head?: number): void;
  /** How many lines the text has. */
  lineCount(): number;
}

/** The host element of the body, once the wasm has put its surface in. */
type SurfaceHost = Element & { surface?: SurfaceHook };

/** The body's editable element (CodeMirror's content), inside the `editor` host. */
export const bodyContent = (page: Page) => page.getByTestId('editor').locator('.cm-content');

/** The body's text as the surface shows it; `null` before the surface is there. */
export const bodyText = (page: Page): Promise<string | null> =>
  page.getByTestId('editor').evaluate((el: SurfaceHost) => el.surface?.text() ?? null);

/** The body's selection, `[anchor, head]`. */
export const bodySelection = (page: Page): Promise<[number, number] | null> =>
  page.getByTestId('editor').evaluate((el: SurfaceHost) => el.surface?.selection() ?? null);

/**
 * The text the body shows on screen: its drawn lines, joined by line breaks,
 * without collaborators' carets (whose name labels are in the lines). Only
 * the lines in and near the view are drawn.
 */
export const shownText = (page: Page): Promise<string> =>
  bodyContent(page).evaluate((el) =>
    [...el.querySelectorAll('.cm-line')]
      .map((line) => {
        const copy = line.cloneNode(true) as Element;
        copy.querySelectorAll('.caret').forEach((c) => c.remove());
        return copy.textContent;
      })
      .join('\n'),
  );

/** Waits until the body's text is `expected` (or matches it). */
export async function expectBody(page: Page, expected: string | RegExp, options: { timeout?: number; message?: string } = {}) {
  const text = expect.poll(() => bodyText(page), options);
  if (typeof expected === 'string') await text.toBe(expected);
  else await text.toMatch(expected);
}

/** Clicks into the body, as a person does before typing (the caret goes where the click lands). */
export async function focusBody(page: Page) {
  await bodyContent(page).click();
}

/** Focuses the body and selects `anchor..head` (a caret at `anchor` if `head` is left out). */
export async function selectIn(page: Page, anchor: number, head = anchor) {
  await bodyContent(page).focus();
  await page.getByTestId('editor').evaluate((el: SurfaceHost, [a, h]) => el.surface!.select(a, h), [anchor, head]);
  await expect.poll(() => bodySelection(page)).toEqual([anchor, head]);
}

/** Replaces the whole body with `text` in one input, as a paste over everything does. */
export async function fillBody(page: Page, text: string) {
  await focusBody(page);
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await expectBody(page, text);
}

/**
 * Where a collaborator's caret (a `.caret` in the body) is drawn: the text of
 * the line that holds it and the part of that line before it, with no
 * caret's name label in either; `null` while it is in no line.
 */
export function caretPlace(caret: Locator): Promise<{ line: string; before: string } | null> {
  return caret.evaluate((el) => {
    // Between two drawings the caret may be outside any line: not placed (yet), so a poll tries again.
    const line = el.closest('.cm-line');
    if (!line) return null;
    const textOf = (node: Node) => {
      const copy = node.cloneNode(true) as Element | DocumentFragment;
      copy.querySelectorAll('.caret').forEach((c) => c.remove());
      return copy.textContent ?? '';
    };
    const range = document.createRange();
    range.setStart(line, 0);
    range.setEndBefore(el);
    return { line: textOf(line), before: textOf(range.cloneContents()) };
  });
}

/** Collects what happens in `page` (console, errors, requests, sockets), with milliseconds since now. */
function record(page: Page): string[] {
  const start = Date.now();
  const lines: string[] = [];
  const log = (what: string) => lines.push(`${String(Date.now() - start).padStart(6)} ms  ${what}`);
  page.on('console', (m) => log(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('request', (r) => log(`request ${r.method()} ${r.url()}`));
  page.on('requestfinished', (r) => log(`finished ${r.url()}`));
  page.on('requestfailed', (r) => log(`failed ${r.url()}: ${r.failure()?.errorText}`));
  page.on('websocket', (ws) => {
    log(`websocket ${ws.url()}`);
    let frames = 0;
    ws.on('framereceived', () => frames++ === 0 && log(`websocket first frame received`));
    ws.on('socketerror', (e) => log(`websocket error: ${e}`));
    ws.on('close', () => log(`websocket closed after ${frames} frames`));
  });
  return lines;
}

/** A loopback TCP proxy in front of the server, whose connections a test can cut. */
export interface CuttableProxy {
  /** The server's base URL, through the proxy. */
  url: string;
  /** Drops every connection through the proxy at once, as a failing network
   * would (`context.setOffline` does not close an open WebSocket in Chromium);
   * new connections go through again. */
  cut(): void;
  /** Stops the proxy. */
  close(): Promise<void>;
}

/** Starts a [`CuttableProxy`] to `target` (`http://host:port`). Pages opened
 * through it are of another origin than `target`, and so keep their own storage. */
export async function cuttableProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      open.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut: () => open.forEach((s) => s.destroy()),
    close: () =>
      new Promise<void>((resolve) => {
        open.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** axe-core's serious and critical violations on the page, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

