// History, trash, export and import, as people use them (open mode).
import { expect, type Page } from '@playwright/test';
import { test, expectBody, focusBody, freshId, openEditor } from './helpers';

test('a named version, its differences, and a restore that a second person sees live', async ({ browser }) => {
  const path = `/d/${freshId('hist')}`;
  const [a, b] = [await openEditor(browser, path), await openEditor(browser, path)];
  await focusBody(a);
  await a.keyboard.type('keep this\ngood line\n');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  await a.getByTestId('history').click();
  const panel = a.getByTestId('history-panel');
  await panel.getByTestId('name-version').getByRole('textbox').fill('before the mistake');
  await panel.getByTestId('name-version').getByRole('textbox').press('Enter');
  await expect(panel.getByTestId('versions')).toContainText('before the mistake');
  await a.keyboard.press('Escape');

  await focusBody(b);
  await b.keyboard.press('Control+Home');
  await b.keyboard.type('NOT ');
  await b.keyboard.press('Control+End');
  await b.keyboard.type('VANDALISM');
  await expectBody(a, 'NOT keep this\ngood line\nVANDALISM');

  await a.getByTestId('history').click();
  await panel.getByTestId('versions').getByText('before the mistake').click();
  await expect(panel.getByTestId('version-diff')).toContainText('VANDALISM');
  // The changed line marks only the word that differs.
  await expect(panel.locator('ins .diff-word')).toHaveText(['NOT']);
  await panel.getByTestId('restore-version').click();
  await expectBody(b, 'keep this\ngood line\n');
  await expectBody(a, 'keep this\ngood line\n');
});

test('a deleted document tells whoever has it open, and comes back from the trash', async ({ browser, page }) => {
  const id = freshId('trash');
  const [a, b] = [await openEditor(browser, `/d/${id}`), await openEditor(browser, `/d/${id}`)];
  const title = `Precious ${id}`;
  await a.getByTestId('doc-title').fill(title);
  await focusBody(a);
  await a.keyboard.type('precious');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  // An edit an earlier page of b's browser left unsynced, still in its journal.
  await keepInJournal(b, id);
  expect(await journalRecords(b, id)).toBe(1);
  a.on('dialog', (d) => d.accept());
  await a.getByTestId('doc-menu').click();
  await a.getByTestId('delete-doc').click();
  await expect(b.getByTestId('connection-status')).toHaveAttribute('data-state', 'deleted');
  await expect(b.getByText('This document was deleted')).toBeVisible();
  await expect.poll(() => journalRecords(b, id)).toBe(0);
  await page.goto('/trash');
  const row = page.getByTestId('trash-list').getByRole('row').filter({ hasText: title });
  await row.getByRole('button', { name: /Restore/ }).click();
  await expect(row).toHaveCount(0);
  const back = await openEditor(browser, `/d/${id}`);
  await expectBody(back, 'precious');
});

test('an imported Markdown file opens with its text, and exports as the same text', async ({ page, request }) => {
  await page.goto('/');
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  const text = `# Imported ${freshId('imp')}\n\nsome *Markdown* 😀\n`;
  await page.getByTestId('import-input').setInputFiles({ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await expectBody(page, text);
  const href = await page.getByTestId('export-md').getAttribute('href');
  const exported = await request.get(href!);
  expect(await exported.text()).toBe(text);
});

/** Writes one journal record for document `id`, as an earlier page of this browser would have. */
async function keepInJournal(page: Page, id: string) {
  await page.evaluate((doc) => new Promise<void>((done, fail) => {
    const open = indexedDB.open('tandem');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const txn = open.result.transaction('unsynced', 'readwrite');
      txn.objectStore('unsynced').put(new Uint8Array([0, 0]), [doc, 0.5, 0]);
      txn.oncomplete = () => { open.result.close(); done(); };
      txn.onerror = () => fail(txn.error);
    };
  }), id);
}

/** How many journal records this browser keeps for document `id`. */
async function journalRecords(page: Page, id: string): Promise<number> {
  return page.evaluate((doc) => new Promise<number>((done, fail) => {
    const open = indexedDB.open('tandem');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const range = IDBKeyRange.bound([doc], [doc, []]);
      const count = open.result.transaction('unsynced').objectStore('unsynced').count(range);
      count.onsuccess = () => { open.result.close(); done(count.result); };
      count.onerror = () => fail(count.error);
    };
  }), id);
}

test('a dialog whose code cannot be fetched says so and loads when tried again; the editor goes on', async ({ browser }) => {
  const context = await browser.newContext();
  let reachable = false;
  // Refused at first, as a proxy in front of a restarting server would.
  await context.route('**/split_dialog_view*.wasm', (route) => (reachable ? route.continue() : route.fulfill({ status: 503, body: 'unavailable' })));
  const page = await context.newPage();
  await page.goto(`d/${freshId('dialog')}`);
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await page.getByTestId('history').click();
  const panel = page.getByTestId('history-panel');
  await expect(panel.getByTestId('unavailable')).toContainText('could not be loaded');

  // Reachable again: "Try again" in the open dialog loads it.
  reachable = true;
  await panel.getByRole('button', { name: 'Try again' }).click();
  await expect(panel.getByTestId('name-version')).toBeVisible();
  await expect(panel.getByTestId('unavailable')).toHaveCount(0);

  // The page lived on: typing still reaches the document.
  await page.keyboard.press('Escape');
  await focusBody(page);
  await page.keyboard.type('still here');
  await expectBody(page, 'still here');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
});
