// Editor latency on a large document, in real Chromium:
//   keystroke → screen: from the keydown event to the first paint after it;
//   remote update → screen: from a sync message reaching the page to the first paint after it.
// Two people have the document open (so carets are drawn too). For scale, the same
// keystrokes in a bare text area holding the same text. Prints one JSON line.
//
//   node bench/editor-latency.mjs [--url http://127.0.0.1:3000] [--kib 1024] [--keys 60]
import { chromium } from '@playwright/test';
import * as Y from 'yjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const url = arg('url', process.env.TANDEM_URL ?? 'http://127.0.0.1:3000');
const kib = Number(arg('kib', '1024'));
const keys = Number(arg('keys', '60'));

/** A document of about `kib` KiB, written in many pieces as real documents are. */
function buildDocument() {
  const doc = new Y.Doc();
  const text = doc.getText('content');
  const paragraph = (i) =>
    `## Section ${i}\n\nTandem keeps every keystroke; this paragraph ${i} is filler for a large document, ` +
    'with *emphasis*, `code` and a [link](https://example.org).\n\n';
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; text.length < kib * 1024; i++) {
    text.insert(Math.floor(random() * text.length), paragraph(i));
  }
  return Y.encodeStateAsUpdate(doc);
}

// Runs in the page before its scripts: timestamps for keys, sync messages and the paints after them.
function instrument() {
  const samples = { key: [], keyScript: [], remote: [], remoteScript: [] };
  window.__latency = samples;
  const afterPaint = (done) => requestAnimationFrame(() => setTimeout(done, 0));
  let keyAt = null;
  window.addEventListener('keydown', (e) => { keyAt = e.timeStamp; }, true);
  window.addEventListener('input', () => {
    if (keyAt === null) return;
    const start = keyAt;
    keyAt = null;
    samples.keyScript.push(performance.now() - start);
    afterPaint(() => samples.key.push(performance.now() - start));
  });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      let start = null;
      let late = false;
      // Registered before the page's own handler, so it runs first.
      this.addEventListener('message', (e) => {
        if (!late) {
          // Added once the page's handler exists, so it runs after it.
          late = true;
          this.addEventListener('message', () => {
            if (start !== null) samples.remoteScript.push(performance.now() - start);
          });
        }
        const bytes = new Uint8Array(e.data);
        if (bytes[0] !== 0 || bytes[1] !== 2) return void (start = null); // sync updates only
        const at = (start = performance.now());
        afterPaint(() => samples.remote.push(performance.now() - at));
      });
    }
  };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median_ms: +q(0.5).toFixed(2), p95_ms: +q(0.95).toFixed(2), max_ms: +s[s.length - 1].toFixed(2) };
};

const id = `latency-${Date.now().toString(36)}`;
const update = buildDocument();
const put = await fetch(`${url}/api/docs/${id}/update`, { method: 'POST', body: update });
if (!put.ok) throw new Error(`storing the document failed: ${put.status} ${await put.text()}`);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
const open = async () => {
  const page = await (await browser.newContext()).newPage();
  await page.addInitScript(instrument);
  await page.goto(`${url}/d/${id}`);
  await page.waitForSelector('[data-testid=editor][data-synced=true]', { timeout: 60_000 });
  await page.getByTestId('editor').click();
  return page;
};
const typist = await open();
const watcher = await open();
// Where the time goes: the browser's own counters, per page, over the typing.
const counters = async (page) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await read();
  return async () => {
    const after = await read();
    const per = (k) => +(((after[k] - before[k]) * 1000) / keys).toFixed(2);
    return { script_ms: per('ScriptDuration'), layout_ms: per('LayoutDuration'), style_ms: per('RecalcStyleDuration'), task_ms: per('TaskDuration') };
  };
};
const typistCounters = await counters(typist);
const watcherCounters = await counters(watcher);
await watcher.keyboard.press('Control+End');
// Type in the middle of the document; the watcher's caret sits further down.
await typist.getByTestId('editor').evaluate((el) => el.setSelectionRange(el.value.length >> 1, el.value.length >> 1));
for (let i = 0; i < keys; i++) {
  await typist.keyboard.press(i % 10 === 9 ? 'Space' : 'KeyA');
  await typist.waitForFunction((n) => window.__latency.key.length >= n, i + 1);
}
await watcher.waitForFunction((n) => window.__latency.remote.length >= n, keys, { timeout: 30_000 }).catch(async (e) => {
  console.error(await watcher.evaluate(() => JSON.stringify(Object.fromEntries(Object.entries(window.__latency).map(([k, v]) => [k, v.length])))));
  throw e;
});
const typed = await typist.evaluate(() => window.__latency);
const seen = await watcher.evaluate(() => window.__latency);
const length = await watcher.getByTestId('editor').evaluate((el) => el.value.length);
// The floor: the same text in a bare text area of the same size and font, without Tandem.
const text = await watcher.getByTestId('editor').inputValue();
const box = await watcher.getByTestId('editor').evaluate((el) => {
  const s = getComputedStyle(el);
  return { width: el.clientWidth, height: el.clientHeight, font: s.font, padding: s.padding };
});
const bare = await (await browser.newContext()).newPage();
await bare.setContent('<textarea id="t"></textarea>');
await bare.evaluate(({ text, box }) => {
  const t = document.getElementById('t');
  Object.assign(t.style, { width: `${box.width}px`, height: `${box.height}px`, font: box.font, padding: box.padding, boxSizing: 'border-box' });
  t.value = text;
  t.focus();
  t.setSelectionRange(text.length >> 1, text.length >> 1);
}, { text, box });
await bare.evaluate(instrument);
for (let i = 0; i < keys; i++) {
  await bare.keyboard.press(i % 10 === 9 ? 'Space' : 'KeyA');
  await bare.waitForFunction((n) => window.__latency.key.length >= n, i + 1);
}
const floor = await bare.evaluate(() => window.__latency);
const perKey = { typist: await typistCounters(), watcher: await watcherCounters() };
await browser.close();
console.log(JSON.stringify({
  doc_utf16_units: length,
  keystroke_to_paint: stats(typed.key),
  bare_textarea_keystroke_to_paint: stats(floor.key),
  keystroke_script: stats(typed.keyScript),
  remote_to_paint: stats(seen.remote),
  remote_script: stats(seen.remoteScript),
  browser_time_per_key: perKey,
}));
