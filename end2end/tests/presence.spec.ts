// Presence: who is here and where their carets are, across a dropped connection.
import { expect, type Browser, type Page } from '@playwright/test';
import { test, caretPlace, contextAs, cuttableProxy, expectBody, focusBody, freshId, selectIn } from './helpers';

/** Opens `url` as `name` in a new context and waits until the editor is connected and synced. */
async function openAs(browser: Browser, name: string, url: string): Promise<Page> {
  const page = await (await contextAs(browser, name)).newPage();
  await page.goto(url);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  return page;
}

/** Puts `page`'s caret at `offset` of the body. */
const caretAt = (page: Page, offset: number) => selectIn(page, offset);

test('after a dropped connection, the others see one again and one\'s caret moves reach them', async ({ browser, baseURL }) => {
  const id = freshId('presence');
  const proxy = await cuttableProxy(baseURL!);
  try {
    // Ada's page goes through a proxy that can cut her connection; Grace's does not.
    const ada = await openAs(browser, 'Ada', `${proxy.url}/d/${id}`);
    const grace = await openAs(browser, 'Grace', `/d/${id}`);
    const adaBadge = grace.getByTestId('presence').locator('.peer[data-name="Ada"]');
    const adaCaret = grace.locator('.caret[data-name="Ada"]');
    await focusBody(ada);
    await ada.keyboard.type('hello world');
    await caretAt(ada, 5);
    await expect(adaBadge).toBeVisible();
    await expect(adaCaret).toHaveAttribute('data-offset', '5');
    await expect.poll(() => caretPlace(adaCaret)).toEqual({ line: 'hello world', before: 'hello' });

    // The connection drops: the server removes Ada's presence, and tells Grace.
    proxy.cut();
    await expect(adaBadge).toHaveCount(0);
    await expect(adaCaret).toHaveCount(0);

    // Ada reconnects by herself; Grace sees her again, caret and all.
    await expect(ada.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await expect(adaBadge).toBeVisible();
    await expect(adaCaret).toHaveAttribute('data-offset', '5');
    await caretAt(ada, 8);
    await expect(adaCaret).toHaveAttribute('data-offset', '8');
    await caretAt(ada, 11);
    await expect(adaCaret).toHaveAttribute('data-offset', '11');
    await expect.poll(() => caretPlace(adaCaret)).toEqual({ line: 'hello world', before: 'hello world' });
    // And Ada still sees Grace.
    await expect(ada.getByTestId('presence').locator('.peer[data-name="Grace"]')).toBeVisible();
  } finally {
    await proxy.close();
  }
});

test('a caret at the very end of the text is shown to the others', async ({ browser }) => {
  const id = freshId('presence');
  const ada = await openAs(browser, 'Ada', `/d/${id}`);
  const bob = await openAs(browser, 'Bob', `/d/${id}`);
  await focusBody(ada);
  await ada.keyboard.type('hello world');
  const caret = bob.locator('.caret[data-name="Ada"]');
  await ada.keyboard.press('ArrowLeft');
  await expect(caret).toHaveAttribute('data-offset', '10');
  await ada.keyboard.press('ArrowRight');
  await expect(caret).toHaveAttribute('data-offset', '11');
  // Text added after it leaves it after "hello world", where Ada left it.
  await expect.poll(() => caretPlace(caret)).toEqual({ line: 'hello world', before: 'hello world' });
  await focusBody(bob);
  await bob.keyboard.press('Control+End');
  await bob.keyboard.type('!');
  await expectBody(ada, 'hello world!');
  await expect(caret).toHaveAttribute('data-offset', '11');
  await expect.poll(() => caretPlace(caret)).toEqual({ line: 'hello world!', before: 'hello world' });
});

test('the presence list shows everyone by name, and one\'s own entry as "you"', async ({ browser }) => {
  const id = freshId('presence');
  const ada = await openAs(browser, 'Ada Lovelace', `/d/${id}`);
  const alan = await openAs(browser, 'Alan Turing', `/d/${id}`);
  for (const [page, me, other] of [[ada, 'Ada Lovelace', 'Alan Turing'], [alan, 'Alan Turing', 'Ada Lovelace']] as const) {
    const presence = page.getByTestId('presence');
    // The other person by their name, shown (not only in a tooltip)...
    await expect(presence.locator('.peer').getByText(other, { exact: true })).toBeVisible();
    await expect(presence.locator('.peer')).toHaveCount(1);
    // ...and oneself as "Name (you)", the name still editable.
    await expect(page.getByLabel('Your name')).toHaveValue(me);
    await expect(presence.getByText('(you)', { exact: true })).toBeVisible();
    await expect(presence.locator('.peer')).not.toContainText('(you)');
  }
  // A new name shows at once for the others.
  await alan.getByLabel('Your name').fill('Alan M. Turing');
  await alan.getByLabel('Your name').press('Enter');
  await expect(ada.getByTestId('presence').locator('.peer').getByText('Alan M. Turing', { exact: true })).toBeVisible();
});
