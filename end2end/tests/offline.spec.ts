// Offline: edits made without a network merge on reconnect, and survive closing the page.
import { expect, type Page } from '@playwright/test';
import { test, bodyText, expectBody, focusBody, freshId, openEditor, shownText } from './helpers';

const status = (page: Page, id: 'connection-status' | 'sync-status') => page.getByTestId(id);

/** Appends `text` at the end of the document. */
async function typeAtEnd(page: Page, text: string) {
  await focusBody(page);
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

test('edits made offline on both sides merge after reconnecting', { tag: '@proxy' }, async ({ browser, request }) => {
  const id = freshId('off');
  const [a, b] = await Promise.all([openEditor(browser, `d/${id}`), openEditor(browser, `d/${id}`)]);
  await typeAtEnd(a, 'shared start. ');
  await expectBody(b, 'shared start. ');

  for (const page of [a, b]) {
    await page.context().setOffline(true);
    await expect(status(page, 'connection-status')).toHaveAttribute('data-state', 'offline');
  }
  await typeAtEnd(a, 'Alice offline. ');
  await focusBody(b);
  await b.keyboard.press('Control+Home');
  await b.keyboard.type('Bob offline. ');
  for (const page of [a, b]) {
    await expect(status(page, 'sync-status')).toHaveAttribute('data-state', 'offline');
  }
  // Neither saw the other's offline edit.
  await expectBody(a, 'shared start. Alice offline. ');
  await expectBody(b, 'Bob offline. shared start. ');

  for (const page of [a, b]) await page.context().setOffline(false);
  const merged = 'Bob offline. shared start. Alice offline. ';
  for (const page of [a, b]) {
    await expect(status(page, 'connection-status')).toHaveAttribute('data-state', 'connected');
    await expectBody(page, merged);
    await expect.poll(() => shownText(page)).toBe(merged);
    await expect(status(page, 'sync-status')).toHaveAttribute('data-state', 'saved');
  }
  expect(await (await request.get(`api/docs/${id}/text`)).text()).toBe(merged);
});

test('edits made offline survive closing the page, and reach everyone when it opens again', async ({ browser, request }) => {
  const id = freshId('off');
  const a = await openEditor(browser, `/d/${id}`);
  const context = a.context();
  await typeAtEnd(a, 'online. ');
  await expect(status(a, 'sync-status')).toHaveAttribute('data-state', 'saved');

  await context.setOffline(true);
  await expect(status(a, 'connection-status')).toHaveAttribute('data-state', 'offline');
  await typeAtEnd(a, 'offline, then closed. ');
  await expect(status(a, 'sync-status')).toHaveAttribute('data-state', 'offline');
  // Kept in this browser: the label says so once the journal has it.
  await expect(status(a, 'sync-status')).toHaveAttribute('data-kept', 'true');
  await expect(status(a, 'sync-status')).toContainText('kept in this browser');
  await a.close();
  // The server never saw the offline edit.
  expect(await (await request.get(`/api/docs/${id}/text`)).text()).toBe('online. ');

  // Someone else writes meanwhile.
  const b = await openEditor(browser, `/d/${id}`);
  await typeAtEnd(b, 'Bob meanwhile. ');
  await expect(status(b, 'sync-status')).toHaveAttribute('data-state', 'saved');

  // Back online, the same browser opens the document again.
  await context.setOffline(false);
  const again = await context.newPage();
  await again.goto(`/d/${id}`);
  const merged = /^online\. (offline, then closed\. Bob meanwhile\. |Bob meanwhile\. offline, then closed\. )$/;
  await expect(again.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await expectBody(again, merged);
  await expect(status(again, 'sync-status')).toHaveAttribute('data-state', 'saved');
  const text = (await bodyText(again))!;
  await expectBody(b, text);
  expect(await (await request.get(`/api/docs/${id}/text`)).text()).toBe(text);

  // Once the server has stored them, nothing is left in the browser's journal.
  await expect.poll(() => journalSize(again)).toBe(0);
});

/** How many unsynced records the page's browser keeps, over all documents. */
function journalSize(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('tandem');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('unsynced').objectStore('unsynced').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }),
  );
}
