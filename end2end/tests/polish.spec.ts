// The editor's first minutes: a bar that holds still, guidance in a new document,
// the preview's code blocks, and the chosen view kept across reloads.
import { expect, type Page } from '@playwright/test';
import { test, bodyContent, expectBody, fillBody, focusBody, freshId, openEditor } from './helpers';

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
  await focusBody(page);
  await page.keyboard.type('kept');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'offline');
  expect(await modeButtonsX(page)).toEqual(connected);

  await page.context().setOffline(false);
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  expect(await modeButtonsX(page)).toEqual(connected);
});

test('a new document puts the caret in its title, and Enter moves on to the body', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('new-doc').click();
  await page.waitForURL(/\/d\//);
  const title = page.getByTestId('doc-title');
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  await expect(title).toBeFocused();
  await expect(title).toHaveAttribute('placeholder', /\S/);
  // The empty body says what to write, on screen and to a screen reader.
  await expect(bodyContent(page).locator('.cm-placeholder')).toHaveText(/\S/);
  await expect(bodyContent(page)).toHaveAttribute('aria-placeholder', /\S/);

  await page.keyboard.type('Trip notes');
  await page.keyboard.press('Enter');
  await expect(bodyContent(page)).toBeFocused();
  await page.keyboard.type('Day one');
  await expect(title).toHaveValue('Trip notes');
  await expectBody(page, 'Day one');
  await expect(bodyContent(page).locator('.cm-placeholder')).toHaveCount(0);
});

test('an existing document with a title does not take the focus', async ({ browser }) => {
  const id = freshId('titled');
  const first = await openEditor(browser, `/d/${id}`);
  await first.getByTestId('doc-title').fill('Already named');
  await expect(first.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const page = await openEditor(browser, `/d/${id}`);
  await expect(page.getByTestId('doc-title')).toHaveValue('Already named');
  await expect(page.getByTestId('doc-title')).not.toBeFocused();
});

test('every line of a code block in the preview starts at the same x', async ({ browser }) => {
  const page = await openEditor(browser, `/d/${freshId('code')}`);
  await fillBody(page, '```\nfirst line\nsecond line\n```\n');
  await page.getByRole('button', { name: 'Preview' }).click();
  const code = page.getByTestId('preview').locator('pre code');
  await expect(code).toContainText('second line');
  const lefts = await code.evaluate((el) => {
    const text = el.firstChild as Text;
    const at = (offset: number) => {
      const range = document.createRange();
      range.setStart(text, offset);
      range.setEnd(text, offset + 1);
      return Math.round(range.getBoundingClientRect().left);
    };
    return [at(0), at(text.data.indexOf('second'))];
  });
  expect(lefts[0]).toBe(lefts[1]);
});

test('the chosen view is kept across reloads and is in the first paint', async ({ browser }) => {
  const id = freshId('view');
  const page = await openEditor(browser, `/d/${id}`);
  const workarea = page.locator('.workarea');
  await expect(workarea).toHaveAttribute('data-mode', 'edit');
  await page.getByRole('button', { name: 'Split' }).click();
  await expect(workarea).toHaveAttribute('data-mode', 'split');

  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.text().includes('panicked') && errors.push(m.text()));
  await page.reload();
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  await expect(workarea).toHaveAttribute('data-mode', 'split');
  await expect(page.getByRole('button', { name: 'Split' })).toHaveAttribute('aria-pressed', 'true');
  // The server already renders the chosen view, so the page does not flash the editor alone first.
  const html = await (await page.context().request.get(`/d/${id}`)).text();
  expect(html).toMatch(/<div(?=[^>]*class="workarea")[^>]*data-mode="split"/);

  await page.getByRole('button', { name: 'Preview' }).click();
  const other = await page.context().newPage();
  await other.goto(`/d/${freshId('view')}`);
  await expect(other.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  await expect(other.locator('.workarea')).toHaveAttribute('data-mode', 'preview');
  expect(errors).toEqual([]);
});
