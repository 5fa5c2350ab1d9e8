// Presence: who is here and where their carets are.
import { expect, type Browser, type Page } from '@playwright/test';
import { test, contextAs, freshId } from './helpers';

/** Opens `url` as `name` in a new context and waits until the editor is connected and synced. */
async function openAs(browser: Browser, name: string, url: string): Promise<Page> {
  const page = await (await contextAs(browser, name)).newPage();
  await page.goto(url);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  return page;
}

test('a caret at the very end of the text is shown to the others', async ({ browser }) => {
  const id = freshId('presence');
  const ada = await openAs(browser, 'Ada', `/d/${id}`);
  const bob = await openAs(browser, 'Bob', `/d/${id}`);
  await ada.getByTestId('editor').click();
  await ada.keyboard.type('hello world');
  const caret = bob.locator('.caret[data-name="Ada"]');
  await ada.keyboard.press('ArrowLeft');
  await expect(caret).toHaveAttribute('data-offset', '10');
  await ada.keyboard.press('ArrowRight');
  await expect(caret).toHaveAttribute('data-offset', '11');
  // Text added after it leaves it after "hello world", where Ada left it.
  await bob.getByTestId('editor').click();
  await bob.keyboard.press('Control+End');
  await bob.keyboard.type('!');
  await expect(ada.getByTestId('editor')).toHaveValue('hello world!');
  await expect(caret).toHaveAttribute('data-offset', '11');
});
