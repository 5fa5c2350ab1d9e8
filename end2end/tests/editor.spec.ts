// The editor: two people typing converge, carets stay put under remote edits, first paint is server-rendered.
import { expect, type Page, type Browser } from '@playwright/test';
import { test, contextAs, freshId, openEditor as openAt } from './helpers';

// Relative to the base URL: the suite also runs under a proxy's sub-path.
const openEditor = (browser: Browser, id: string) => openAt(browser, `d/${id}`);

const editorValue = (page: Page) => page.getByTestId('editor').inputValue();

test('two people typing at once end with the same text, which the server stores', { tag: '@proxy' }, async ({ browser, request }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await a.getByTestId('editor').click();
  await a.keyboard.type('--middle--');
  await expect(b.getByTestId('editor')).toHaveValue('--middle--');
  // Alice writes at the start while Bob writes at the end, at the same time.
  await a.keyboard.press('Control+Home');
  await b.getByTestId('editor').click();
  await b.keyboard.press('Control+End');
  await Promise.all([
    a.keyboard.type('Alice writes here. ', { delay: 15 }),
    b.keyboard.type('Bob writes there. ', { delay: 15 }),
  ]);
  for (const page of [a, b]) {
    await expect(page.getByTestId('editor')).toHaveValue(/Alice writes here\. /);
    await expect(page.getByTestId('editor')).toHaveValue(/Bob writes there\. /);
    await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  }
  const text = await editorValue(a);
  await expect(b.getByTestId('editor')).toHaveValue(text);
  const stored = await (await request.get(`api/docs/${id}/text`)).text();
  expect(stored).toBe(text);
});

test('a remote edit before the caret keeps the caret on the same character', async ({ browser }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await a.getByTestId('editor').click();
  await a.keyboard.type('abcdef');
  const b = await openEditor(browser, id);
  await expect(b.getByTestId('editor')).toHaveValue('abcdef');
  // Alice's caret sits before "d".
  await a.getByTestId('editor').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(3, 3));
  await b.getByTestId('editor').click();
  await b.keyboard.press('Control+Home');
  await b.keyboard.type('XYZ😀');
  await expect(a.getByTestId('editor')).toHaveValue('XYZ😀abcdef');
  const caret = await a.getByTestId('editor').evaluate((el: HTMLTextAreaElement) => [el.selectionStart, el.selectionEnd]);
  expect(caret).toEqual([8, 8]); // "XYZ😀" is 5 UTF-16 units; the caret is still before "d"
  await a.keyboard.type('!');
  await expect(b.getByTestId('editor')).toHaveValue('XYZ😀abc!def');
});

test('the first paint holds the text, readable without the wasm', async ({ browser, request }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await a.getByTestId('editor').click();
  await a.keyboard.type('Rendered on the server <b>escaped</b>');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await noJs.goto(`/d/${id}`);
  await expect(noJs.getByTestId('editor')).toHaveValue('Rendered on the server <b>escaped</b>');
  const html = await (await request.get(`/d/${id}`)).text();
  expect(html).toContain('Rendered on the server &lt;b&gt;escaped&lt;/b&gt;');
});

test('document text that closes the text area stays text', async ({ browser }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await a.getByTestId('editor').click();
  const hostile = '</textarea><img src=x onerror="window.pwned=1"><b id="pwn">x</b>';
  await a.keyboard.insertText(hostile);
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const b = await (await browser.newContext()).newPage();
  await b.goto(`/d/${id}`);
  await expect(b.getByTestId('editor')).toHaveValue(hostile);
  await expect(b.locator('#pwn')).toHaveCount(0);
  expect(await b.evaluate(() => (window as any).pwned)).toBeUndefined();
});

test('"New document" opens a fresh document that the workspace lists', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('new-doc').click();
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]+$/);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  const id = new URL(page.url()).pathname.split('/').pop();
  await page.goto('/');
  await expect(page.locator(`a[href="/d/${id}"]`)).toHaveText('Untitled');
});

test('the title is shared, shown in the tab and listed in the workspace', async ({ browser, request }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await a.getByTestId('doc-title').fill('Quarterly plan');
  await expect(b.getByTestId('doc-title')).toHaveValue('Quarterly plan');
  await expect(b).toHaveTitle(/Quarterly plan/);
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const list = await (await request.get('/api/docs')).json();
  expect(list.find((d: { id: string }) => d.id === id)?.title).toBe('Quarterly plan');
});

test('undo reverts only one\'s own edits', async ({ browser }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await a.getByTestId('editor').click();
  await a.keyboard.type('mine ');
  await expect(b.getByTestId('editor')).toHaveValue('mine ');
  await b.getByTestId('editor').click();
  await b.keyboard.press('Control+End');
  await b.keyboard.type('theirs');
  await expect(a.getByTestId('editor')).toHaveValue('mine theirs');
  await a.keyboard.press('Control+z');
  await expect(a.getByTestId('editor')).toHaveValue('theirs');
  await expect(b.getByTestId('editor')).toHaveValue('theirs');
  await a.keyboard.press('Control+Shift+z');
  await expect(b.getByTestId('editor')).toHaveValue('mine theirs');
  // Undo from a menu arrives as a history input event: ours, not the browser's.
  const handled = await a.getByTestId('editor').evaluate((el) => {
    const ev = new InputEvent('beforeinput', { inputType: 'historyUndo', cancelable: true, bubbles: true });
    el.dispatchEvent(ev);
    return ev.defaultPrevented;
  });
  expect(handled).toBe(true);
  await expect(b.getByTestId('editor')).toHaveValue('theirs');
});

test('each sees the other in the presence bar, until one leaves', async ({ browser }) => {
  const id = freshId();
  const person = async (name: string, color: string) => {
    const page = await (await contextAs(browser, name, color)).newPage();
    await page.goto(`/d/${id}`);
    await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
    return page;
  };
  const ada = await person('Ada Lovelace', '#2f6fde');
  const alan = await person('Alan Turing', '#d9480f');
  await expect(ada.getByTestId('presence').locator('[data-name="Alan Turing"]')).toHaveText('ATAlan Turing');
  await expect(alan.getByTestId('presence').locator('[data-name="Ada Lovelace"]')).toHaveText('ALAda Lovelace');
  await expect(ada.getByLabel('Your name')).toHaveValue('Ada Lovelace');

  await alan.getByLabel('Your name').fill('Alan M. Turing');
  await alan.getByLabel('Your name').press('Enter');
  await expect(ada.getByTestId('presence').locator('[data-name="Alan M. Turing"]')).toBeVisible();

  await alan.close();
  await expect(ada.getByTestId('presence').locator('.peer')).toHaveCount(0);
});

test('script, event handlers and javascript: links in the text are shown, never run', async ({ browser }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await a.getByTestId('editor').click();
  const hostile = [
    '# Notes',
    '<script>window.pwned = 1</script>',
    '<img src="x" onerror="window.pwned = 2">',
    '[click me](javascript:window.pwned=3)',
    '![tracker](https://tracker.example/pixel.png)',
  ].join('\n\n');
  await a.keyboard.insertText(hostile);
  await a.getByRole('button', { name: 'Split' }).click();
  const preview = a.getByTestId('preview');
  await expect(preview.locator('h1')).toHaveText('Notes');
  await expect(preview).toContainText('<script>window.pwned = 1</script>');
  await expect(preview).toContainText('<img src="x" onerror="window.pwned = 2">');
  await expect(preview.locator('script, img, [onerror]')).toHaveCount(0);
  await expect(preview.getByRole('link', { name: 'click me' })).not.toHaveAttribute('href', /javascript/i);
  await preview.getByRole('link', { name: 'click me' }).click();
  expect(await a.evaluate(() => (window as any).pwned)).toBeUndefined();

  // The same renderer on the server: a fresh page in preview shows the same, safely.
  const b = await openEditor(browser, id);
  await b.getByRole('button', { name: 'Preview' }).click();
  await expect(b.getByTestId('preview').locator('script, img')).toHaveCount(0);
  await expect(b.getByTestId('editor')).toBeHidden();
  expect(await b.evaluate(() => (window as any).pwned)).toBeUndefined();
});

test('an input method composition is not broken by remote edits, and both sides converge', async ({ browser }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await a.getByTestId('editor').click();
  await a.keyboard.type('abc');
  await expect(b.getByTestId('editor')).toHaveValue('abc');
  const ime = await a.context().newCDPSession(a);
  await ime.send('Input.imeSetComposition', { text: 'にほ', selectionStart: 2, selectionEnd: 2 });
  await expect(b.getByTestId('editor')).toHaveValue('abcにほ');
  await b.getByTestId('editor').click();
  await b.keyboard.press('Control+Home');
  await b.keyboard.type('X');
  await expect(b.getByTestId('editor')).toHaveValue('Xabcにほ');
  // Bob's edit is stored, so the server has already relayed it to Alice.
  await expect(b.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  // Alice's field is not rewritten while she composes...
  await expect(a.getByTestId('editor')).toHaveValue('abcにほ');
  await ime.send('Input.insertText', { text: '日本' });
  // ...and once she commits, both have both edits.
  await expect(a.getByTestId('editor')).toHaveValue('Xabc日本');
  await expect(b.getByTestId('editor')).toHaveValue('Xabc日本');
});

test('a collaborator\'s caret and selection are drawn at their characters and vanish when they leave', async ({ browser }) => {
  const id = freshId();
  const person = async (name: string) => {
    const page = await (await contextAs(browser, name)).newPage();
    await page.goto(`/d/${id}`);
    await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
    return page;
  };
  const ada = await person('Ada');
  await ada.getByTestId('editor').click();
  await ada.keyboard.type('first line\nsecond line\nthird');
  const bob = await person('Bob');
  await expect(bob.getByTestId('editor')).toHaveValue('first line\nsecond line\nthird');
  // Ada puts her caret at the start of the second line.
  await ada.getByTestId('editor').evaluate((el: HTMLTextAreaElement) => { el.focus(); el.setSelectionRange(11, 11); });
  await ada.keyboard.press('ArrowRight');
  await ada.keyboard.press('ArrowLeft');
  const caret = bob.locator('.caret[data-name="Ada"]');
  await expect(caret).toHaveAttribute('data-offset', '11');
  const second = await caret.boundingBox();
  // Moved to the start of the text, the caret is drawn one line higher, at the same left edge.
  await ada.keyboard.press('Control+Home');
  await expect(caret).toHaveAttribute('data-offset', '0');
  const first = await caret.boundingBox();
  expect(second!.y - first!.y).toBeGreaterThan(first!.height / 2);
  expect(Math.abs(second!.x - first!.x)).toBeLessThan(2);
  // A remote insert before it moves it along with its character.
  await bob.getByTestId('editor').click();
  await bob.keyboard.press('Control+Home');
  await bob.keyboard.type('>> ');
  await expect(caret).toHaveAttribute('data-offset', '3');
  // A selection is drawn as a highlight per line it covers: "first line" and "sec".
  await ada.getByTestId('editor').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(3, 15));
  await ada.keyboard.press('Shift+ArrowRight');
  const highlight = bob.locator('.selection[data-name="Ada"]');
  await expect(highlight).toHaveCount(2);
  // Highlights are redrawn at the next frame, so both boxes are read together until they agree.
  await expect.poll(async () => {
    const [line1, line2] = [await highlight.nth(0).boundingBox(), await highlight.nth(1).boundingBox()];
    if (!line1 || !line2) return 'not drawn';
    if (line2.y <= line1.y) return 'second line not below the first';
    return line1.width > line2.width ? 'ok' : '"first line" not wider than "sec"';
  }).toBe('ok');
  await ada.keyboard.press('ArrowRight');
  await expect(highlight).toHaveCount(0);
  await ada.close();
  await expect(caret).toHaveCount(0);
});

test('a paste, a word deletion and a cut selection each reach the other side whole', async ({ browser, request }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await a.getByTestId('editor').click();
  // One input event inserting many characters, as a paste or a drop does.
  await a.keyboard.insertText('pasted line one\npasted 😀 line two ');
  await expect(b.getByTestId('editor')).toHaveValue('pasted line one\npasted 😀 line two ');
  // Word deletion removes several characters in one event.
  await a.keyboard.press('Control+Backspace');
  await expect(b.getByTestId('editor')).toHaveValue('pasted line one\npasted 😀 line ');
  // A selection across the line break, deleted as a cut does.
  await a.getByTestId('editor').evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(7, 23));
  await a.keyboard.press('Delete');
  await expect(b.getByTestId('editor')).toHaveValue('pasted 😀 line ');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  expect(await (await request.get(`/api/docs/${id}/text`)).text()).toBe('pasted 😀 line ');
});

test('a change a script makes away from the caret reaches the other side too', async ({ browser }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await a.getByTestId('editor').click();
  await a.keyboard.insertText('one two three');
  await expect(b.getByTestId('editor')).toHaveValue('one two three');
  // As an extension or a spell checker might: the text changes at the start
  // while the caret stays at the end, so the caret does not tell where.
  await a.getByTestId('editor').evaluate((el: HTMLTextAreaElement) => {
    el.dispatchEvent(new InputEvent('beforeinput', { bubbles: true, inputType: 'insertReplacementText' }));
    el.value = 'ONE two three';
    el.setSelectionRange(el.value.length, el.value.length);
    el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertReplacementText' }));
  });
  await expect(b.getByTestId('editor')).toHaveValue('ONE two three');
  await a.keyboard.insertText('!');
  await expect(b.getByTestId('editor')).toHaveValue('ONE two three!');
});

test('text a collaborator adds above the view does not move what one is reading', async ({ browser }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
  await a.getByTestId('editor').click();
  await a.keyboard.insertText(lines);
  await expect(b.getByTestId('editor')).toHaveValue(lines);
  // Bob's caret is in the document, so Ada's page tracks where his lines are.
  await b.getByTestId('editor').click();
  await b.keyboard.press('Control+Home');
  await expect(a.locator('.caret')).toHaveCount(1);
  const lineHeight = await a.getByTestId('editor').evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
  const before = await a.getByTestId('editor').evaluate((el) => { el.scrollTop = 40 * parseFloat(getComputedStyle(el).lineHeight); return el.scrollTop; });
  await b.keyboard.insertText('new\n'.repeat(30));
  await expect(a.getByTestId('editor')).toHaveValue('new\n'.repeat(30) + lines);
  const after = await a.getByTestId('editor').evaluate((el) => el.scrollTop);
  expect(Math.abs(after - before - 30 * lineHeight)).toBeLessThan(lineHeight / 2);
});
