// The large Markdown-ish document the browser benchmarks type into: filler
// paragraphs inserted at random places, in many pieces as real editing makes
// a document (a fixed seed, so every run gets the same text).
import * as Y from 'yjs';

/**
 * A document of at least `units` UTF-16 code units: the Yjs update that
 * creates it (for a server) and its text (for a page without one).
 */
export function buildDocument(units) {
  const doc = new Y.Doc();
  const text = doc.getText('content');
  const paragraph = (i) =>
    `## Section ${i}\n\nTandem keeps every keystroke; this paragraph ${i} is filler for a large document, ` +
    'with *emphasis*, `code` and a [link](https://example.org).\n\n';
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; text.length < units; i++) {
    text.insert(Math.floor(random() * text.length), paragraph(i));
  }
  return { update: Y.encodeStateAsUpdate(doc), text: text.toString() };
}

/** The sizes the benchmarks use, by name: code units. */
export const SIZES = { '32k': 32 * 1024, '300k': 300_000, '1m': 1024 * 1024 };

/** Median, 95th percentile and maximum of `xs`, in ms. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return { n: 0 };
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (x) => +x.toFixed(2);
  return { n: s.length, median_ms: r(q(0.5)), p95_ms: r(q(0.95)), max_ms: r(s[s.length - 1]) };
}

/** The median of numbers `xs`. */
export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return +(s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2).toFixed(2);
}

/** Chromium's flags as the Playwright suite launches it (end2end/playwright.config.ts). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The share of the machine's CPU time that was busy over the next `ms` (Linux /proc/stat). */
export async function busyShare(ms = 3000) {
  const { readFileSync } = await import('node:fs');
  const read = () => {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = fields[3] + fields[4];
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return +(1 - (b.idle - a.idle) / Math.max(1, b.total - a.total)).toFixed(2);
}

/**
 * On a shared machine: waits (at most `maxWaitMs`) until less than `share`
 * of its CPU is busy, so that a run is not measured beside someone's build.
 * Returns the busy share seen last (what the run started with).
 */
export async function waitForCalm(share, maxWaitMs = 300_000) {
  const until = Date.now() + maxWaitMs;
  let busy = await busyShare();
  while (busy >= share && Date.now() < until) busy = await busyShare();
  return busy;
}
