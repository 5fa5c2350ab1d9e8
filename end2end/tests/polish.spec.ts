// The editor's first minutes: a bar that holds still, guidance in a new document,
// the preview's code blocks, and the chosen view kept across reloads.
import { expect, type Page } from '@playwright/test';
import { test, freshId, openEditor } from './helpers';

/** The left edges of the Edit, Split and Preview buttons, in CSS pixels. */
const modeButtonsX = (page: Page) =>
  page.locator('.modes button').evaluateAll((buttons) => buttons.map((b) => Math.round(b.getBoundingClientRect().left)));

test('the view buttons stay put while the connection and saving states change', async ({ browser }) => {
  const page = await openEditor(browser, `/d/${freshId('bar')}`);
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const connected = await modeButtonsX(page);

  // Offline with an unsaved edit: the longest labels the bar shows.
  await page.context().setOffline(true);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'offline');
  await page.getByTestId('editor').click();
  await page.keyboard.type('kept');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'offline');
  expect(await modeButtonsX(page)).toEqual(connected);

  await page.context().setOffline(false);
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  expect(await modeButtonsX(page)).toEqual(connected);
});
