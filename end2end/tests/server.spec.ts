// Against servers of the test's own: a restart mid-editing, and a stock Yjs client beside a browser.
import { expect } from '@playwright/test';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { test, expectBody, focusBody, freshId as fresh, openEditor, under } from './helpers';
import { freePort, freshDataDir, startTandem as start, stopTandem } from './tandem';

/** Starts an open-mode server on `port` over `dir`. */
const startTandem = async (port: number, dir: string) => (await start(port, dir)).child;

const freshId = () => fresh('srv');

test('clients reconnect after a server restart and nothing is lost', async ({ browser }) => {
  const port = await freePort();
  const dir = freshDataDir();
  const base = `http://127.0.0.1:${port}`;
  const id = freshId();
  let server = await startTandem(port, dir);
  const [a, b] = await Promise.all([openEditor(browser, `${base}/d/${id}`), openEditor(browser, `${base}/d/${id}`)]);
  await focusBody(a);
  await a.keyboard.type('before restart. ');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  // b has it too before the server goes (else b's typing "at the end" lands before it).
  await expectBody(b, 'before restart. ');

  expect(await stopTandem(server)).toBe(0);
  for (const page of [a, b]) {
    await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'connected');
  }
  // Edits while the server is down are kept...
  await focusBody(b);
  await b.keyboard.press('Control+End');
  await b.keyboard.type('while down. ');
  await expect(b.getByTestId('sync-status')).toHaveAttribute('data-state', /saving|offline/);

  server = await startTandem(port, dir);
  // ...and merged once the clients are back (both: each comes back after its own backoff).
  for (const page of [a, b]) {
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  }
  for (const page of [a, b]) await expectBody(page, 'before restart. while down. ');
  await expect(b.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  await a.reload();
  await expect(a.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await expectBody(a, 'before restart. while down. ');
  expect(await stopTandem(server)).toBe(0);
});

test('a stock Yjs client and a browser edit one document and converge', { tag: '@proxy' }, async ({ browser, baseURL }) => {
  const id = freshId();
  const wsBase = under(baseURL!, 'ws').replace(/^http/, 'ws');
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsBase, id, doc, { WebSocketPolyfill: WebSocket as any, disableBc: true });
  try {
    await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
    doc.getText('content').insert(0, 'from node\n');
    const page = await openEditor(browser, under(baseURL!, `d/${id}`));
    await expectBody(page, 'from node\n');
    await focusBody(page);
    await page.keyboard.press('Control+End');
    await page.keyboard.type('from the browser ✓');
    await expect.poll(() => doc.getText('content').toString()).toBe('from node\nfrom the browser ✓');
    doc.getText('content').insert(0, '> ');
    await expectBody(page, '> from node\nfrom the browser ✓');
  } finally {
    provider.destroy();
  }
});

test('a server that stops answering is noticed, and edits made meanwhile reach it when it answers again', async ({ browser }) => {
  test.setTimeout(120_000);
  const port = await freePort();
  const dir = freshDataDir();
  const id = freshId();
  const server = await startTandem(port, dir);
  const page = await openEditor(browser, `http://127.0.0.1:${port}/d/${id}`);
  await focusBody(page);
  await page.keyboard.type('before. ');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  // Frozen, the server keeps its sockets open but says nothing (like a dead network path).
  server.kill('SIGSTOP');
  await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'connected', { timeout: 45_000 });
  await page.keyboard.type('while frozen. ');
  await expect(page.getByTestId('sync-status')).not.toHaveAttribute('data-state', 'saved');
  server.kill('SIGCONT');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 30_000 });
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const res = await fetch(`http://127.0.0.1:${port}/api/docs/${id}/text`);
  expect(await res.text()).toBe('before. while frozen. ');
  expect(await stopTandem(server)).toBe(0);
});
