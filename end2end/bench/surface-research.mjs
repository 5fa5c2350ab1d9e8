// Would a hand-written Rust editing surface do better than CodeMirror? The
// browser side of that question, measured: the same keystrokes typed into the
// middle of the same Markdown-ish text held by four surfaces on a static page,
// with nothing of Tandem around them:
//   textarea         a bare <textarea>
//   codemirror       a bare CodeMirror 6 (the versions of app/surface: markdownLanguage + lineWrapping)
//   contenteditable  one contenteditable <div>, one <div> (one text node) per line: a naive DOM surface
//   virtual          a contenteditable that renders only the lines in view (what a Rust surface
//                    would have to write to stay fast on large documents: a height map, a viewport,
//                    re-rendering on scroll, reading the edited line back on input)
// Per surface and size: keystroke → next paint (keydown's timeStamp to a
// requestAnimationFrame + setTimeout(0) after it) median and p95, long tasks
// (> 50 ms) while typing, the browser's script/layout/style time and all its
// main-thread task time per key (CDP Performance counters; paint is in the last), the
// time to show the text at first (mount → first paint) and the DOM's node count.
// Also the gzip size of the CodeMirror bundles (this bare one, and the app's
// surface as app/build.rs builds it for release: minified).
// Prints one JSON line, then a table. Needs no server.
//
//   cd end2end && node bench/surface-research.mjs [--sizes 32k,300k,1m] [--keys 50] [--warmup 5] [--runs 3]
//                                                  [--variants textarea,codemirror,contenteditable,virtual] [--calm 0.2]
// --calm: before each run, wait (at most 5 min) until less than that share of the
// machine's CPU is busy; the share each run started with is in the JSON (busy_at_start).
import { chromium } from '@playwright/test';
import os from 'node:os';
import { buildDocument, SIZES, stats, median, CHROMIUM_ARGS, waitForCalm } from './document.mjs';
import { bareCodeMirror, appSurface, gzipSize } from './codemirror.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '32k,300k,1m').split(',');
const variants = arg('variants', 'textarea,codemirror,contenteditable,virtual').split(',');
const keys = Number(arg('keys', '50'));
const warmup = Number(arg('warmup', '5'));
const runs = Number(arg('runs', '3'));
// Before each run, wait (at most 5 minutes) until less than this share of the CPU is busy (1: never wait).
const calm = Number(arg('calm', '1'));

const bare = await bareCodeMirror();
const app = await appSurface();
const bundles = {
  bare_codemirror: { bytes: bare.length, gzip: gzipSize(bare) },
  app_surface_release: { bytes: app.length, gzip: gzipSize(app) },
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>
  html, body { margin: 0; height: 100%; }
  /* The editor column of Tandem's page: 52rem wide, its font and padding. */
  #host { width: 832px; height: 100vh; margin: 0 auto; display: flex; font: 17px/1.65 ui-monospace, "SF Mono", Menlo, Consolas, monospace; }
  #host > * { flex: 1; min-width: 0; }
  textarea { border: 0; padding: 40px 32px; font: inherit; resize: none; box-sizing: border-box; height: 100%; }
  .ce { overflow: auto; padding: 40px 32px; white-space: pre-wrap; overflow-wrap: anywhere; outline: none; box-sizing: border-box; height: 100%; }
  .cm-editor { height: 100%; } .cm-scroller { font: inherit; line-height: inherit; } .cm-content { padding: 40px 32px; }
  .vscroll { overflow: auto; height: 100%; position: relative; }
  .vsizer { position: relative; }
  .vcontent { position: absolute; left: 32px; right: 32px; white-space: pre-wrap; overflow-wrap: anywhere; outline: none; }
</style></head><body><div id="host"></div></body></html>`;

// ---- In the page ----

/** Timestamps per key and long tasks; runs in the page. */
function instrument() {
  const s = { key: [], long: [] };
  window.__bench = s;
  addEventListener('keydown', (e) => {
    const start = e.timeStamp;
    requestAnimationFrame(() => setTimeout(() => s.key.push(performance.now() - start), 0));
  }, true);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) s.long.push(e.duration); }).observe({ type: 'longtask' });
}

/** Puts `text` into a surface of kind `variant` in #host, the caret at `at`; the ms until it is painted. */
async function mount({ variant, text, at }) {
  const host = document.getElementById('host');
  const t0 = performance.now();
  let api;
  if (variant === 'textarea') {
    const t = document.createElement('textarea');
    host.append(t);
    t.value = text;
    t.focus();
    t.setSelectionRange(at, at);
    api = { text: () => t.value };
  } else if (variant === 'codemirror') {
    const view = CMBench.mount(host, text);
    view.focus();
    view.dispatch({ selection: { anchor: at }, effects: CMBench.EditorView.scrollIntoView(at, { y: 'center' }) });
    api = { text: () => view.state.doc.toString() };
  } else {
    const lines = text.split('\n');
    let line = 0;
    let col = at;
    while (col > lines[line].length) col -= lines[line++].length + 1;
    api = variant === 'contenteditable' ? plainSurface(host, lines, line, col) : virtualSurface(host, lines, line, col);
  }
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  window.__surface = api;
  return performance.now() - t0;

  /** A line's element: one text node, or a <br> that keeps an empty line open. */
  function lineElement(s, i) {
    const div = document.createElement('div');
    if (s) div.textContent = s;
    else div.append(document.createElement('br'));
    if (i !== undefined) div.dataset.i = i;
    return div;
  }

  /** Places the caret at column `col` of line element `el`. */
  function caretIn(el, col) {
    const range = document.createRange();
    const node = el.firstChild.nodeType === Node.TEXT_NODE ? el.firstChild : el;
    range.setStart(node, node === el ? 0 : col);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
  }

  function plainSurface(host, lines, line, col) {
    const div = document.createElement('div');
    div.className = 'ce';
    div.contentEditable = 'true';
    const frag = document.createDocumentFragment();
    for (const s of lines) frag.append(lineElement(s));
    div.append(frag);
    host.append(div);
    div.focus({ preventScroll: true });
    const el = div.children[line];
    el.scrollIntoView({ block: 'center' });
    caretIn(el, col);
    return { text: () => Array.from(div.children, (c) => c.textContent).join('\n') };
  }

  function virtualSurface(host, lines, line, col) {
    const PAD = 40;
    const OVERSCAN = 600; // px rendered above and below the view
    const scroller = document.createElement('div');
    scroller.className = 'vscroll';
    const sizer = document.createElement('div');
    sizer.className = 'vsizer';
    const content = document.createElement('div');
    content.className = 'vcontent';
    content.contentEditable = 'true';
    sizer.append(content);
    scroller.append(sizer);
    host.append(scroller);
    // Metrics from a probe line: the line height and the characters a row holds.
    content.append(lineElement('x'.repeat(200)));
    const probe = content.firstChild.getBoundingClientRect();
    content.firstChild.textContent = 'x';
    const lineHeight = content.firstChild.getBoundingClientRect().height;
    const perRow = Math.max(1, Math.floor(content.clientWidth / (probe.width / 200 || 10)));
    content.replaceChildren();
    // The height map: estimated from the line's length until the line is drawn and measured.
    const n = lines.length;
    const heights = new Float64Array(n);
    const tops = new Float64Array(n + 1);
    const estimate = (s) => Math.max(1, Math.ceil(s.length / perRow)) * lineHeight;
    for (let i = 0; i < n; i++) heights[i] = estimate(lines[i]);
    const sumFrom = (i) => {
      for (; i < n; i++) tops[i + 1] = tops[i] + heights[i];
      sizer.style.height = `${tops[n] + 2 * PAD}px`;
    };
    sumFrom(0);
    const lineAt = (y) => {
      let lo = 0, hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (tops[mid] <= y) lo = mid; else hi = mid - 1;
      }
      return lo;
    };
    let first = 0, last = 0; // rendered lines: [first, last)
    const render = (from, to) => {
      first = from;
      last = to;
      const frag = document.createDocumentFragment();
      for (let i = from; i < to; i++) frag.append(lineElement(lines[i], i));
      content.replaceChildren(frag);
      measure(content.firstChild, from, to);
    };
    // Drawn lines are measured; a height that differs moves everything below.
    const measure = (el, from, to) => {
      let changed = -1;
      for (let i = from; i < to; i++, el = el.nextSibling) {
        const h = el.getBoundingClientRect().height;
        if (h !== heights[i]) { heights[i] = h; if (changed < 0) changed = i; }
      }
      if (changed >= 0) sumFrom(changed);
      content.style.top = `${PAD + tops[first]}px`;
    };
    const wanted = () => {
      const top = scroller.scrollTop - PAD;
      return [lineAt(Math.max(0, top - OVERSCAN)), Math.min(n, lineAt(top + scroller.clientHeight + OVERSCAN) + 1)];
    };
    scroller.addEventListener('scroll', () => {
      const [from, to] = wanted();
      if (from >= first && to <= last) return;
      // Keep the caret if its line stays: as (line, offset), put back after rendering.
      const sel = getSelection();
      const at = sel.rangeCount && content.contains(sel.anchorNode) ? [lineOf(sel.anchorNode), sel.anchorOffset] : null;
      render(from, to);
      if (at && at[0] >= from && at[0] < to) caretIn(content.children[at[0] - from], at[1]);
    });
    const lineOf = (node) => Number((node.nodeType === Node.TEXT_NODE ? node.parentElement : node).closest('[data-i]').dataset.i);
    // An edit: read the edited line back from its element (the browser changed the DOM).
    content.addEventListener('input', () => {
      const sel = getSelection();
      // Lines split or joined would be read back here.
      if (content.children.length !== last - first || !sel.anchorNode) {
        // Lines split or joined: read back every rendered line.
        // Not needed by the benchmark, which types letters and spaces.
        throw new Error('the virtual surface does not split or join lines');
      }
      const i = lineOf(sel.anchorNode);
      const el = content.children[i - first];
      lines[i] = el.textContent;
      measure(el, i, i + 1);
    });
    scroller.scrollTop = PAD + tops[line] - scroller.clientHeight / 2;
    render(...wanted());
    content.focus({ preventScroll: true });
    caretIn(content.children[line - first], col);
    return { text: () => lines.join('\n') };
  }
}

// ---- In Node ----

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });

/** One run of `variant` holding `text`: the samples of one page. */
async function measure(variant, text) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.setContent(PAGE);
  if (variant === 'codemirror') await page.addScriptTag({ content: bare.toString('utf8') });
  await page.evaluate(instrument);
  const mid = text.length >> 1;
  const open = await page.evaluate(mount, { variant, text, at: mid });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const type = async (count) => {
    for (let i = 0; i < count; i++) {
      const n = await page.evaluate(() => window.__bench.key.length);
      await page.keyboard.press(i % 10 === 9 ? 'Space' : 'KeyA');
      await page.waitForFunction((n) => window.__bench.key.length > n, n);
    }
  };
  await type(warmup);
  await page.evaluate(() => { window.__bench.key = []; window.__bench.long = []; });
  const before = await metrics();
  await type(keys);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 200))); // long-task entries are delivered late
  const after = await metrics();
  const { key, long } = await page.evaluate(() => window.__bench);
  const typedOk = (await page.evaluate(() => window.__surface.text().length)) === text.length + warmup + keys;
  await context.close();
  const per = (k) => +(((after[k] - before[k]) * 1000) / keys).toFixed(2);
  return {
    open_ms: +open.toFixed(1),
    key: stats(key),
    long_tasks: long.filter((d) => d > 50).length,
    longest_task_ms: long.length ? +Math.max(...long).toFixed(1) : 0,
    per_key: { script_ms: per('ScriptDuration'), layout_ms: per('LayoutDuration'), style_ms: per('RecalcStyleDuration'), task_ms: per('TaskDuration') },
    dom_nodes: after.Nodes,
    typed_ok: typedOk,
  };
}

const texts = Object.fromEntries(sizes.map((s) => [s, buildDocument(SIZES[s]).text]));
const raw = {}; // raw[size][variant] = [run, …]
const busyAtStart = [];
for (let r = 0; r < runs; r++) {
  busyAtStart.push(await waitForCalm(calm));
  for (const size of sizes) {
    for (const variant of variants) {
      const result = await measure(variant, texts[size]);
      ((raw[size] ??= {})[variant] ??= []).push(result);
      console.error(`run ${r + 1}/${runs} ${size} ${variant}: ${result.key.median_ms} / ${result.key.p95_ms} ms, ${result.long_tasks} long tasks`);
    }
  }
}
await browser.close();

/** The median over runs of each number. */
const summarize = (rs) => ({
  median_ms: median(rs.map((x) => x.key.median_ms)),
  p95_ms: median(rs.map((x) => x.key.p95_ms)),
  long_tasks: median(rs.map((x) => x.long_tasks)),
  longest_task_ms: median(rs.map((x) => x.longest_task_ms)),
  open_ms: median(rs.map((x) => x.open_ms)),
  script_ms: median(rs.map((x) => x.per_key.script_ms)),
  layout_ms: median(rs.map((x) => x.per_key.layout_ms)),
  style_ms: median(rs.map((x) => x.per_key.style_ms)),
  task_ms: median(rs.map((x) => x.per_key.task_ms)),
  dom_nodes: median(rs.map((x) => x.dom_nodes)),
  typed_ok: rs.every((x) => x.typed_ok),
});
const results = {};
for (const size of sizes) {
  results[size] = { chars: texts[size].length, lines: texts[size].split('\n').length };
  for (const variant of variants) results[size][variant] = summarize(raw[size][variant]);
}
console.log(JSON.stringify({ keys, warmup, runs, busy_at_start: busyAtStart, loadavg: os.loadavg().map((x) => +x.toFixed(2)), bundles, results, raw }));

const rows = [['size', 'surface', 'key→paint median', 'p95', 'long tasks', 'script / layout / style / all tasks per key', 'open', 'DOM nodes']];
for (const size of sizes) {
  for (const variant of variants) {
    const s = results[size][variant];
    rows.push([
      `${size} (${results[size].lines} lines)`, variant + (s.typed_ok ? '' : ' (TEXT WRONG)'), `${s.median_ms} ms`, `${s.p95_ms} ms`,
      `${s.long_tasks} (longest ${s.longest_task_ms} ms)`, `${s.script_ms} / ${s.layout_ms} / ${s.style_ms} / ${s.task_ms} ms`, `${s.open_ms} ms`, `${s.dom_nodes}`,
    ]);
  }
}
console.log(`\n${keys} keys in the middle after ${warmup} unmeasured ones; medians of ${runs} runs\n`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nbare CodeMirror bundle: ${bundles.bare_codemirror.bytes} B, ${bundles.bare_codemirror.gzip} B gzip -9`);
console.log(`app surface (release, as app/build.rs): ${bundles.app_surface_release.bytes} B, ${bundles.app_surface_release.gzip} B gzip -9`);
