// The editor's latency in real Chromium, against a running Tandem (a release
// build), with a collaborator connected (a second window on the same
// document, its caret a few lines below the typist's, so carets are drawn):
//
//   1 MiB:  keystroke → paint (the keydown's timeStamp to the first paint
//           after it) median and p95 over --keys keys typed in the middle;
//           long tasks (> 50 ms) in the typist's page while typing; remote
//           edit → paint in the collaborator's page (from the WebSocket
//           message event carrying the sync update to the next paint).
//   32 KiB: the same keystroke → paint in Tandem against CodeMirror without
//           Tandem, typed on the same page (Tandem's editor hidden, the other
//           mounted in its place, so the same CSS and size): a bare
//           CodeMirror (markdownLanguage + lineWrapping, as
//           bench/surface-research.mjs) and the app's own surface module
//           with no binding behind it (the same CodeMirror configuration).
//   floor (not run by default): that comparison on the 1 MiB document, the
//           floor under the 1 MiB keystroke figure on this machine.
//   300 KB: clicking "Split" → the preview painted, the caret in the middle
//           of the text, two ways: the click's Event Timing entry (the
//           click to the next paint after its handlers, 8 ms steps, the
//           goal's measure), and the click's timeStamp to a rAF +
//           setTimeout(0) once the view is split and the preview holds
//           blocks (this one also waits for tasks queued before its timer,
//           such as the preview drawing its further blocks).
//   first-load weight: gzip -9 of every wasm, JS and CSS response the editor
//           page loads (the HTML, which carries the document, apart).
// "Paint" is a requestAnimationFrame + setTimeout(0) after the event. Each
// page types --warmup keys first, unmeasured, and starts typing once it has
// had no long task for a second. Every part runs --runs times, each on a
// fresh document in fresh windows; the summary gives the medians of the runs.
// Prints one JSON line, then a readable summary.
//
//   cd end2end && node bench/editor-latency.mjs [--url http://127.0.0.1:3000] [--keys 50] [--warmup 5]
//                                               [--runs 3] [--parts large,small,split,weight,floor] [--calm 0.2]
// --calm: before each run, wait (at most 5 min) until less than that share of the
// machine's CPU is busy; the share each run started with is in the JSON (busy_at_start).
import { chromium } from '@playwright/test';
import os from 'node:os';
import { buildDocument, SIZES, stats, median, CHROMIUM_ARGS, waitForCalm } from './document.mjs';
import { bareCodeMirror, gzipSize } from './codemirror.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const url = arg('url', process.env.TANDEM_URL ?? 'http://127.0.0.1:3000');
const keys = Number(arg('keys', '50'));
const warmup = Number(arg('warmup', '5'));
const runs = Number(arg('runs', '3'));
// Before each run, wait (at most 5 minutes) until less than this share of the CPU is busy (1: never wait).
const calm = Number(arg('calm', '1'));
const parts = arg('parts', 'large,small,split,weight').split(',');

/** Targets the summary checks (issue 16). */
const GOALS = { small_ratio_max: 1.1, split_ms_max: 100 };
/** How far below the typist's caret the collaborator's sits, in code units (a few lines: in view). */
const COLLABORATOR_BELOW = 300;

const bare = (await bareCodeMirror()).toString('utf8');
const documents = Object.fromEntries(['1m', '32k', '300k'].map((s) => [s, buildDocument(SIZES[s])]));

// ---- In the page, before its scripts ----

/** Timestamps for keys, sync messages and the paints after them; long tasks. */
function instrument() {
  const s = { key: [], remote: [], long: [] };
  window.__latency = s;
  const afterPaint = (done) => requestAnimationFrame(() => setTimeout(done, 0));
  addEventListener('keydown', (e) => {
    const start = e.timeStamp;
    afterPaint(() => s.key.push(performance.now() - start));
  }, true);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) s.long.push({ at: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      // Registered before the page's own handler, so it runs first.
      this.addEventListener('message', (e) => {
        if (!(e.data instanceof ArrayBuffer)) return;
        const bytes = new Uint8Array(e.data);
        if (bytes[0] !== 0 || bytes[1] !== 2) return; // sync updates only
        const at = performance.now();
        afterPaint(() => s.remote.push(performance.now() - at));
      });
    }
  };
}

// ---- In Node ----

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });

/** Stores a new document holding `update`; its id. */
async function newDocument(name, update) {
  const id = `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const put = await fetch(`${url}/api/docs/${id}/update`, { method: 'POST', body: update });
  if (!put.ok) throw new Error(`storing the document failed: ${put.status} ${await put.text()}`);
  return id;
}

/** The editor of document `id` in a fresh window, synced and quiet. `onRequest` sees every finished request. */
async function open(id, onRequest) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  if (onRequest) page.on('requestfinished', onRequest);
  await page.addInitScript(instrument);
  await page.goto(`${url}/d/${id}`);
  await page.waitForSelector('[data-testid=editor][data-synced=true] .cm-content[contenteditable=true]', { timeout: 60_000 });
  await quiet(page);
  return page;
}

/** Waits until `page` has had no long task for a second (it has settled after loading or typing). */
const quiet = (page) =>
  page.waitForFunction(() => {
    const l = window.__latency.long;
    const end = l.length ? l[l.length - 1].at + l[l.length - 1].ms : 0;
    return performance.now() - end > 1000;
  }, null, { timeout: 60_000, polling: 100 });

/** Focuses the body of `page` and puts the caret `below` units after the middle of the text. */
const caretAtMiddle = (page, below = 0) =>
  page.evaluate((below) => {
    const host = document.querySelector('[data-testid=editor]');
    host.querySelector('.cm-content').focus();
    const at = (host.surface.text().length >> 1) + below;
    host.surface.select(at, at);
  }, below);

/** The browser's time per key in `page` over what follows: call the result when done. */
async function counters(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await read();
  return async () => {
    const after = await read();
    const per = (k) => +(((after[k] - before[k]) * 1000) / keys).toFixed(2);
    return { script_ms: per('ScriptDuration'), layout_ms: per('LayoutDuration'), style_ms: per('RecalcStyleDuration'), task_ms: per('TaskDuration') };
  };
}

/**
 * Types `count` keys (a space every tenth) in `page`, each once the last one
 * is painted; the keystroke → paint samples and the long tasks meanwhile.
 */
async function type(page, count) {
  await page.evaluate(() => { window.__latency.key = []; window.__latency.mark = performance.now(); });
  for (let i = 0; i < count; i++) {
    await page.keyboard.press(i % 10 === 9 ? 'Space' : 'KeyA');
    await page.waitForFunction((n) => window.__latency.key.length >= n, i + 1);
  }
  // Long-task entries are delivered a little after the task.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
  return page.evaluate(() => ({
    key: window.__latency.key,
    long: window.__latency.long.filter((t) => t.at + t.ms >= window.__latency.mark && t.ms > 50).map((t) => t.ms),
  }));
}

/** Types the warm-up keys, then the measured ones; with the browser's time per measured key. */
async function typeMeasured(page) {
  await type(page, warmup);
  await quiet(page);
  const perKey = await counters(page);
  const typed = await type(page, keys);
  return { ...typed, per_key: await perKey() };
}

const textOf = (page) => page.evaluate(() => document.querySelector('[data-testid=editor]').surface.text());

/** Waits until the collaborator shows the typist's text. */
async function converged(typist, collaborator) {
  const text = await textOf(typist);
  await collaborator.waitForFunction((n) => document.querySelector('[data-testid=editor]').surface.text().length === n, text.length, { timeout: 60_000 });
  if ((await textOf(collaborator)) !== text) throw new Error('the collaborator shows another text than the typist');
}

/** A typist and a collaborator on a fresh copy of document `size`; the collaborator's caret is drawn in the typist's view. */
async function pair(size, onRequest) {
  const id = await newDocument(`latency-${size}`, documents[size].update);
  const typist = await open(id, onRequest);
  const collaborator = await open(id);
  await caretAtMiddle(collaborator, COLLABORATOR_BELOW);
  await caretAtMiddle(typist);
  await typist.waitForSelector('[data-testid=editor] .cm-content .caret', { timeout: 30_000 });
  await Promise.all([quiet(typist), quiet(collaborator)]);
  return { typist, collaborator, close: () => Promise.all([typist.context().close(), collaborator.context().close()]) };
}

/** 1 MiB: keystroke → paint, long tasks, remote edit → paint. */
async function large() {
  const { typist, collaborator, close } = await pair('1m');
  await type(typist, warmup);
  await converged(typist, collaborator);
  await Promise.all([quiet(typist), quiet(collaborator)]);
  await collaborator.evaluate(() => { window.__latency.remote = []; window.__latency.mark = performance.now(); });
  const [typistCounters, collaboratorCounters] = [await counters(typist), await counters(collaborator)];
  const typed = await type(typist, keys);
  await converged(typist, collaborator);
  const seen = await collaborator.evaluate(() => ({
    remote: window.__latency.remote,
    long: window.__latency.long.filter((t) => t.at + t.ms >= window.__latency.mark && t.ms > 50).map((t) => t.ms),
  }));
  const result = {
    doc_utf16_units: (await textOf(typist)).length,
    keystroke_to_paint: stats(typed.key),
    long_tasks: typed.long.length,
    longest_task_ms: typed.long.length ? +Math.max(...typed.long).toFixed(1) : 0,
    remote_to_paint: stats(seen.remote),
    collaborator_long_tasks: seen.long.length,
    browser_time_per_key: { typist: await typistCounters(), collaborator: await collaboratorCounters() },
  };
  await close();
  return result;
}

/** At `size` (32 KiB, or 1 MiB for `--parts floor`): Tandem against CodeMirror alone on the same page; with `weighing`, what the page loaded too. */
async function compared(size, weighing) {
  const requests = [];
  const { typist, close } = await pair(size, (q) => requests.push(q));
  const weight = weighing ? await weigh(requests) : null;
  const tandem = await typeMeasured(typist);
  const text = await textOf(typist);
  // The others in the editor's place: Tandem's CodeMirror hidden (its session runs on).
  await typist.evaluate(() => { document.querySelector('[data-testid=editor] .cm-editor').style.display = 'none'; });
  await typist.evaluate(`${bare}; window.CMBench = CMBench;`); // as DevTools would: the page's CSP forbids inline scripts
  const others = {};
  for (const kind of ['surface_module', 'bare_codemirror']) {
    await typist.evaluate(async ({ kind, text }) => {
      const host = document.querySelector('[data-testid=editor]');
      window.__benchView?.destroy();
      for (const old of host.querySelectorAll('.bench-other')) old.remove();
      let view;
      if (kind === 'bare_codemirror') {
        view = CMBench.mount(host, text);
        view.dom.classList.add('bench-other');
      } else {
        // The app's own surface module (the bundle this page loaded), its hooks doing nothing.
        const src = performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.includes('/snippets/') && n.endsWith('/surface.js'));
        const { Surface } = await import(src);
        const parent = document.createElement('div');
        parent.className = 'bench-other';
        parent.style.cssText = 'flex: 1; min-width: 0; display: flex; height: 100%;';
        host.append(parent);
        const nothing = () => {};
        const surface = new Surface(parent, text, 'Document text', { edited: nothing, selected: nothing, undo: nothing, redo: nothing, composing: nothing, images: nothing });
        view = surface.view;
      }
      window.__benchView = view;
      view.focus();
      const at = text.length >> 1;
      view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    }, { kind, text });
    await quiet(typist);
    others[kind] = await typeMeasured(typist);
  }
  await close();
  const t = stats(tandem.key);
  const s = stats(others.surface_module.key);
  const b = stats(others.bare_codemirror.key);
  return {
    weight,
    tandem: t,
    surface_module: s,
    bare_codemirror: b,
    ratio_to_bare: +(t.median_ms / b.median_ms).toFixed(3),
    ratio_to_surface_module: +(t.median_ms / s.median_ms).toFixed(3),
    long_tasks: { tandem: tandem.long.length, surface_module: others.surface_module.long.length, bare_codemirror: others.bare_codemirror.long.length },
    per_key: { tandem: tandem.per_key, surface_module: others.surface_module.per_key, bare_codemirror: others.bare_codemirror.per_key },
  };
}

/**
 * 300 KB: "Split" clicked → the preview painted, the caret in the middle of
 * the text: the click's Event Timing duration, and the click's timeStamp to
 * a rAF + setTimeout once the preview holds blocks. Three times on one
 * page: the first, then twice more after "Edit".
 */
async function split() {
  const { typist: page, close } = await pair('300k');
  const times = [];
  for (let i = 0; i < 3; i++) {
    await page.evaluate(() => {
      const button = document.querySelector('.modes button[data-mode=split]');
      const area = document.querySelector('.workarea');
      const preview = document.querySelector('[data-testid=preview]');
      // The click's Event Timing entry: from the click to the next paint after its handlers.
      window.__clickPaint = new Promise((resolve) => {
        const timing = new PerformanceObserver((list) => {
          const entry = list.getEntries().find((e) => e.name === 'click');
          if (entry) { timing.disconnect(); resolve(entry.duration); }
        });
        timing.observe({ type: 'event', durationThreshold: 16 });
        // Under the threshold no entry comes: the click painted within 16 ms.
        setTimeout(() => resolve(16), 2000);
      });
      window.__split = new Promise((resolve) => {
        let start = null;
        button.addEventListener('click', (e) => { start = e.timeStamp; }, { capture: true, once: true });
        const check = () => {
          if (start === null || area.dataset.mode !== 'split' || preview.childElementCount === 0) return;
          seen.disconnect();
          const shown = performance.now();
          requestAnimationFrame(() => setTimeout(() => resolve({ painted_ms: performance.now() - start, shown_ms: shown - start }), 0));
        };
        const seen = new MutationObserver(check);
        seen.observe(area, { attributes: true, attributeFilter: ['data-mode'] });
        seen.observe(preview, { childList: true });
      });
    });
    await page.click('.modes button[data-mode=split]');
    const t = await page.evaluate(() => window.__split);
    t.next_paint_ms = await page.evaluate(() => window.__clickPaint);
    const shown = await page.evaluate(() => {
      const p = document.querySelector('[data-testid=preview]');
      return p.getBoundingClientRect().width > 0 && p.textContent.length > 1000;
    });
    if (!shown) throw new Error('the preview was not shown after "Split"');
    times.push(t);
    await quiet(page);
    await page.click('.modes button[data-mode=edit]');
    await page.waitForSelector('.workarea[data-mode=edit]');
    await quiet(page);
  }
  await close();
  return {
    first_ms: +times[0].painted_ms.toFixed(1),
    again_ms: median(times.slice(1).map((t) => t.painted_ms)),
    shown_first_ms: +times[0].shown_ms.toFixed(1),
    next_paint_first_ms: times[0].next_paint_ms,
    next_paint_again_ms: median(times.slice(1).map((t) => t.next_paint_ms)),
  };
}

/** What the editor page loaded, by kind: [url, bytes, gzip -9 bytes]. */
async function weigh(requests) {
  const kinds = { wasm: [], js: [], snippets: [], css: [], html: [] };
  for (const request of requests) {
    const response = await request.response();
    if (!response || !request.url().startsWith(url)) continue;
    const path = new URL(request.url()).pathname;
    const kind = path.endsWith('.wasm') ? 'wasm' : path.includes('/snippets/') ? 'snippets' : path.endsWith('.js') ? 'js'
      : path.endsWith('.css') ? 'css' : request.resourceType() === 'document' ? 'html' : null;
    if (!kind) continue;
    const body = await response.body();
    kinds[kind].push([path, body.length, gzipSize(body)]);
  }
  const sum = (k) => kinds[k].reduce((a, [, , g]) => a + g, 0);
  const totals = Object.fromEntries(Object.keys(kinds).map((k) => [k, sum(k)]));
  return { gzip: { ...totals, total_without_html: totals.wasm + totals.js + totals.snippets + totals.css }, files: kinds };
}

const raw = { large: [], small: [], floor: [], split: [], weight: null, busy_at_start: [] };
for (let r = 0; r < runs; r++) {
  raw.busy_at_start.push(await waitForCalm(calm));
  if (parts.includes('large')) raw.large.push(await large());
  if (parts.includes('small') || parts.includes('weight')) {
    const { weight, ...result } = await compared('32k', parts.includes('weight') && !raw.weight);
    raw.small.push(result);
    raw.weight ??= weight;
  }
  if (parts.includes('floor')) raw.floor.push((({ weight, ...result }) => result)(await compared('1m', false)));
  if (parts.includes('split')) raw.split.push(await split());
  console.error(`run ${r + 1}/${runs} done (CPU busy at its start: ${raw.busy_at_start[r]})`);
}
await browser.close();

const med = (xs, f) => median(xs.map(f));
const summary = {};
if (raw.large.length) {
  const l = raw.large;
  summary.large = {
    doc_utf16_units: l[0].doc_utf16_units,
    keystroke_to_paint_median_ms: med(l, (x) => x.keystroke_to_paint.median_ms),
    keystroke_to_paint_p95_ms: med(l, (x) => x.keystroke_to_paint.p95_ms),
    long_tasks: med(l, (x) => x.long_tasks),
    longest_task_ms: med(l, (x) => x.longest_task_ms),
    remote_to_paint_median_ms: med(l, (x) => x.remote_to_paint.median_ms),
    remote_to_paint_p95_ms: med(l, (x) => x.remote_to_paint.p95_ms),
    typist_per_key: Object.fromEntries(['script_ms', 'layout_ms', 'style_ms', 'task_ms'].map((k) => [k, med(l, (x) => x.browser_time_per_key.typist[k])])),
    collaborator_per_key: Object.fromEntries(['script_ms', 'layout_ms', 'style_ms', 'task_ms'].map((k) => [k, med(l, (x) => x.browser_time_per_key.collaborator[k])])),
  };
}
/** The medians of `compared` runs. */
const comparison = (s) => ({
    tandem_median_ms: med(s, (x) => x.tandem.median_ms),
    bare_codemirror_median_ms: med(s, (x) => x.bare_codemirror.median_ms),
    surface_module_median_ms: med(s, (x) => x.surface_module.median_ms),
    ratio_to_bare: med(s, (x) => x.ratio_to_bare),
    ratio_to_surface_module: med(s, (x) => x.ratio_to_surface_module),
    per_key: Object.fromEntries(['tandem', 'surface_module', 'bare_codemirror'].map((k) => [k,
      Object.fromEntries(['script_ms', 'layout_ms', 'style_ms', 'task_ms'].map((m) => [m, med(s, (x) => x.per_key[k][m])]))])),
});
if (raw.small.length && parts.includes('small')) summary.small = comparison(raw.small);
if (raw.floor.length) summary.floor = comparison(raw.floor);
if (raw.split.length) {
  summary.split = {
    next_paint_first_ms: med(raw.split, (x) => x.next_paint_first_ms),
    next_paint_again_ms: med(raw.split, (x) => x.next_paint_again_ms),
    first_ms: med(raw.split, (x) => x.first_ms),
    again_ms: med(raw.split, (x) => x.again_ms),
  };
}
if (raw.weight) summary.first_load_gzip_bytes = raw.weight.gzip;
console.log(JSON.stringify({ url, keys, warmup, runs, loadavg: os.loadavg().map((x) => +x.toFixed(2)), summary, raw }));

const pass = (ok) => (ok ? 'PASS' : 'FAIL');
const lines = [`\nTandem editor latency, ${runs} run(s), medians; ${keys} keys after ${warmup} unmeasured ones`];
if (summary.large) {
  const l = summary.large;
  lines.push(
    `1 MiB (${l.doc_utf16_units} units): keystroke → paint ${l.keystroke_to_paint_median_ms} ms median, ${l.keystroke_to_paint_p95_ms} ms p95;` +
      ` ${l.long_tasks} long tasks (longest ${l.longest_task_ms} ms); remote edit → paint ${l.remote_to_paint_median_ms} ms median (p95 ${l.remote_to_paint_p95_ms} ms)`,
    `  per key, typist: script ${l.typist_per_key.script_ms} ms, layout ${l.typist_per_key.layout_ms} ms, style ${l.typist_per_key.style_ms} ms, all tasks ${l.typist_per_key.task_ms} ms;` +
      ` collaborator: script ${l.collaborator_per_key.script_ms} ms, all tasks ${l.collaborator_per_key.task_ms} ms`,
  );
}
if (summary.floor) {
  const s = summary.floor;
  lines.push(`1 MiB on the same page: Tandem ${s.tandem_median_ms} ms, bare CodeMirror ${s.bare_codemirror_median_ms} ms, the app's surface module ${s.surface_module_median_ms} ms (ratio to bare ${s.ratio_to_bare})`);
}
if (summary.small) {
  const s = summary.small;
  lines.push(
    `32 KiB: Tandem ${s.tandem_median_ms} ms, bare CodeMirror ${s.bare_codemirror_median_ms} ms → ratio ${s.ratio_to_bare} (goal ≤ ${GOALS.small_ratio_max}: ${pass(s.ratio_to_bare <= GOALS.small_ratio_max)});` +
      ` the app's surface module without Tandem ${s.surface_module_median_ms} ms → ratio ${s.ratio_to_surface_module}`,
    `  per key (script / all tasks): Tandem ${s.per_key.tandem.script_ms} / ${s.per_key.tandem.task_ms} ms,` +
      ` surface module ${s.per_key.surface_module.script_ms} / ${s.per_key.surface_module.task_ms} ms,` +
      ` bare CodeMirror ${s.per_key.bare_codemirror.script_ms} / ${s.per_key.bare_codemirror.task_ms} ms`,
  );
}
if (summary.split) {
  const sp = summary.split;
  lines.push(`300 KB: "Split" → next paint (Event Timing) ${sp.next_paint_first_ms} ms first, ${sp.next_paint_again_ms} ms again (goal < ${GOALS.split_ms_max} ms: ${pass(Math.max(sp.next_paint_first_ms, sp.next_paint_again_ms) < GOALS.split_ms_max)})`);
  lines.push(`  rAF + setTimeout after the preview's first blocks: ${sp.first_ms} ms first, ${sp.again_ms} ms again`);
}
if (raw.weight) {
  const g = raw.weight.gzip;
  const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
  lines.push(`first load (gzip -9): wasm ${kb(g.wasm)} + JS ${kb(g.js)} + CodeMirror snippet ${kb(g.snippets)} + CSS ${kb(g.css)} = ${kb(g.total_without_html)} (HTML of the 32 KiB document: ${kb(g.html)})`);
}
console.log(lines.join('\n'));
