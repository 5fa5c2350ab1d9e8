// The editor: two people typing converge, carets stay put under remote edits, first paint is server-rendered.
import { expect, type Page, type Browser } from '@playwright/test';
import { test, bodyContent, bodySelection, bodyText, caretPlace, contextAs, expectBody, focusBody, freshId, openEditor as openAt, selectIn, shownText } from './helpers';

// Relative to the base URL: the suite also runs under a proxy's sub-path.
const openEditor = (browser: Browser, id: string) => openAt(browser, `d/${id}`);

test('two people typing at once end with the same text, which the server stores', { tag: '@proxy' }, async ({ browser, request }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await focusBody(a);
  await a.keyboard.type('--middle--');
  await expectBody(b, '--middle--');
  // Alice writes at the start while Bob writes at the end, at the same time.
  await a.keyboard.press('Control+Home');
  await focusBody(b);
  await b.keyboard.press('Control+End');
  await Promise.all([
    a.keyboard.type('Alice writes here. ', { delay: 15 }),
    b.keyboard.type('Bob writes there. ', { delay: 15 }),
  ]);
  for (const page of [a, b]) {
    await expectBody(page, /Alice writes here\. /);
    await expectBody(page, /Bob writes there\. /);
    await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  }
  const text = (await bodyText(a))!;
  await expectBody(b, text);
  // What the surface holds is what it shows: every line of it is drawn.
  await expect.poll(() => shownText(a)).toBe(text);
  const stored = await (await request.get(`api/docs/${id}/text`)).text();
  expect(stored).toBe(text);
});

test('a remote edit before the caret keeps the caret on the same character', async ({ browser }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await focusBody(a);
  await a.keyboard.type('abcdef');
  const b = await openEditor(browser, id);
  await expectBody(b, 'abcdef');
  // Alice's caret sits before "d".
  await selectIn(a, 3);
  await focusBody(b);
  await b.keyboard.press('Control+Home');
  await b.keyboard.type('XYZ😀');
  await expectBody(a, 'XYZ😀abcdef');
  expect(await bodySelection(a)).toEqual([8, 8]); // "XYZ😀" is 5 UTF-16 units; the caret is still before "d"
  await a.keyboard.type('!');
  await expectBody(b, 'XYZ😀abc!def');
});

test('the first paint holds the text, readable without the wasm', async ({ browser, request }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await focusBody(a);
  await a.keyboard.insertText('Rendered on the server <b>escaped</b>\n  indented line');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await noJs.goto(`/d/${id}`);
  // Before (and without) the wasm the body is the server's text, as it is: line breaks and spaces kept.
  const firstPaint = noJs.getByTestId('editor').locator('.editor-text');
  await expect(firstPaint).toBeVisible();
  await expect(firstPaint).toHaveJSProperty('textContent', 'Rendered on the server <b>escaped</b>\n  indented line');
  expect(await firstPaint.evaluate((el) => getComputedStyle(el).whiteSpace)).toMatch(/^pre/);
  await expect(noJs.getByTestId('editor').locator('b')).toHaveCount(0);
  const html = await (await request.get(`/d/${id}`)).text();
  expect(html).toContain('Rendered on the server &lt;b&gt;escaped&lt;/b&gt;');
});

test('a text that starts with a blank line keeps it in the first paint', async ({ browser }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await focusBody(a);
  await a.keyboard.insertText('\nafter a blank first line');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await noJs.goto(`/d/${id}`);
  // The first paint keeps a blank first line.
  await expect(noJs.getByTestId('editor').locator('.editor-text')).toHaveJSProperty('textContent', '\nafter a blank first line');
});

test('document text that closes the first paint\'s element stays text', async ({ browser }) => {
  const id = freshId();
  const a = await openEditor(browser, id);
  await focusBody(a);
  const hostile = '</pre></div></textarea><img src=x onerror="window.pwned=1"><b id="pwn">x</b>';
  await a.keyboard.insertText(hostile);
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  // In the server's first paint...
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await noJs.goto(`/d/${id}`);
  await expect(noJs.getByTestId('editor').locator('.editor-text')).toHaveJSProperty('textContent', hostile);
  await expect(noJs.locator('#pwn, img[onerror]')).toHaveCount(0);
  // ...and in the live surface.
  const b = await (await browser.newContext()).newPage();
  await b.goto(`/d/${id}`);
  await expect(b.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  await expectBody(b, hostile);
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
  await focusBody(a);
  await a.keyboard.type('mine ');
  await expectBody(b, 'mine ');
  await focusBody(b);
  await b.keyboard.press('Control+End');
  await b.keyboard.type('theirs');
  await expectBody(a, 'mine theirs');
  await a.keyboard.press('Control+z');
  await expectBody(a, 'theirs');
  await expectBody(b, 'theirs');
  // "Z": what a browser reports for Shift+Z (Playwright would send "z" with Shift, which no keyboard does).
  await a.keyboard.press('Control+Shift+Z');
  await expectBody(b, 'mine theirs');
  await a.keyboard.press('Control+z');
  await expectBody(b, 'theirs');
  await a.keyboard.press('Control+y');
  await expectBody(b, 'mine theirs');
  await expectBody(a, 'mine theirs');
  // Undo from a menu arrives as a history input event: ours, not the browser's.
  const handled = await bodyContent(a).evaluate((el) => {
    const ev = new InputEvent('beforeinput', { inputType: 'historyUndo', cancelable: true, bubbles: true });
    el.dispatchEvent(ev);
    return ev.defaultPrevented;
  });
  expect(handled).toBe(true);
  await expectBody(b, 'theirs');
  await expectBody(a, 'theirs');
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
  await focusBody(a);
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
  await focusBody(a);
  await a.keyboard.type('abc');
  await expectBody(b, 'abc');
  const ime = await a.context().newCDPSession(a);
  await ime.send('Input.imeSetComposition', { text: 'にほ', selectionStart: 2, selectionEnd: 2 });
  await expectBody(b, 'abcにほ');
  await focusBody(b);
  await b.keyboard.press('Control+Home');
  await b.keyboard.type('X');
  await expectBody(b, 'Xabcにほ');
  // Bob's edit is stored, so the server has already relayed it to Alice.
  await expect(b.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  // Alice's text is not rewritten while she composes...
  expect(await bodyText(a)).toBe('abcにほ');
  expect(await shownText(a)).toBe('abcにほ');
  await ime.send('Input.insertText', { text: '日本' });
  // ...and once she commits, both have both edits.
  await expectBody(a, 'Xabc日本');
  await expectBody(b, 'Xabc日本');
  await expect.poll(() => shownText(a)).toBe('Xabc日本');
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
  await focusBody(ada);
  await ada.keyboard.type('first line\nsecond line\nthird');
  const bob = await person('Bob');
  await expectBody(bob, 'first line\nsecond line\nthird');
  // Ada puts her caret at the start of the second line.
  await selectIn(ada, 11);
  const caret = bob.locator('.caret[data-name="Ada"]');
  await expect(caret).toHaveAttribute('data-offset', '11');
  // Drawn in the text, at the start of the line "second line", with her name.
  await expect.poll(() => caretPlace(caret)).toEqual({ line: 'second line', before: '' });
  await expect(caret.locator('.caret-label')).toHaveText('Ada');
  const second = await caret.boundingBox();
  // Moved to the start of the text, the caret is drawn one line higher, at the same left edge.
  await ada.keyboard.press('Control+Home');
  await expect(caret).toHaveAttribute('data-offset', '0');
  const first = await caret.boundingBox();
  expect(second!.y - first!.y).toBeGreaterThan(first!.height / 2);
  expect(Math.abs(second!.x - first!.x)).toBeLessThan(2);
  // A remote insert before it moves it along with its character.
  await focusBody(bob);
  await bob.keyboard.press('Control+Home');
  await bob.keyboard.type('>> ');
  await expect.poll(() => caretPlace(caret)).toEqual({ line: '>> first line', before: '>> ' });
  await expect(caret).toHaveAttribute('data-offset', '3');
  // A selection is drawn as a highlight per line it covers: "first line" and "se".
  await selectIn(ada, 3, 15);
  await ada.keyboard.press('Shift+ArrowRight');
  const highlight = bob.locator('.selection[data-name="Ada"]');
  await expect(highlight).toHaveCount(2);
  await expect(highlight).toHaveText(['first line', 'se']);
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
  await focusBody(a);
  // One input event inserting many characters, as a paste or a drop does.
  await a.keyboard.insertText('pasted line one\npasted 😀 line two ');
  await expectBody(b, 'pasted line one\npasted 😀 line two ');
  // Word deletion removes several characters in one event.
  await a.keyboard.press('Control+Backspace');
  await expectBody(b, 'pasted line one\npasted 😀 line ');
  // A selection across the line break, deleted as a cut does.
  await selectIn(a, 7, 23);
  await a.keyboard.press('Delete');
  await expectBody(b, 'pasted 😀 line ');
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  expect(await (await request.get(`/api/docs/${id}/text`)).text()).toBe('pasted 😀 line ');
});

test('a change a script makes away from the caret reaches the other side too', async ({ browser }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  await focusBody(a);
  await a.keyboard.insertText('one two three');
  await expectBody(b, 'one two three');
  // As an extension or a spell checker might: the text in the page changes at
  // the start while the caret stays at the end, so the caret does not tell where.
  await bodyContent(a).evaluate((el) => {
    // The first text of the document itself (not a collaborator's caret label).
    const outsideCarets = (n: Node) => (n.parentElement?.closest('.caret') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT);
    const text = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, { acceptNode: outsideCarets }).nextNode() as Text;
    text.replaceData(0, 3, 'ONE');
  });
  await expectBody(b, 'ONE two three');
  await expectBody(a, 'ONE two three');
  await a.keyboard.insertText('!');
  await expectBody(b, 'ONE two three!');
});

test('text a collaborator adds above the view does not move what one is reading', async ({ browser }) => {
  const id = freshId();
  const [a, b] = await Promise.all([openEditor(browser, id), openEditor(browser, id)]);
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
  await focusBody(a);
  await a.keyboard.insertText(lines);
  await expectBody(b, lines);
  // Bob's caret is in the document, and drawn where Ada looks (only the lines in view are drawn).
  await focusBody(b);
  await b.keyboard.press('Control+Home');
  await a.keyboard.press('Control+Home');
  await expect(a.locator('.caret')).toHaveCount(1);
  // Ada reads from line 40 on: it is at the top of her view.
  const scroller = a.getByTestId('editor').locator('.cm-scroller');
  /** The first line in Ada's view, and how far below the view's top edge it starts. */
  const topLine = () =>
    scroller.evaluate((el) => {
      const top = el.getBoundingClientRect().top;
      const line = [...el.querySelectorAll('.cm-line')].find((l) => l.getBoundingClientRect().bottom > top + 1)!;
      return { text: line.textContent, below: line.getBoundingClientRect().top - top };
    });
  const lineHeight = await a.locator('.cm-line').first().evaluate((el) => el.getBoundingClientRect().height);
  await scroller.evaluate((el, h) => {
    const first = el.querySelector('.cm-line')!.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop;
    el.scrollTop = first + 40 * h;
  }, lineHeight);
  await expect.poll(async () => (await topLine()).text).toBe('line 40');
  const [before, shownBefore] = [await scroller.evaluate((el) => el.scrollTop), await topLine()];
  await b.keyboard.insertText('new\n'.repeat(30));
  await expectBody(a, 'new\n'.repeat(30) + lines);
  // The view moved down with the text: the same line is at the same place.
  await expect.poll(async () => (await topLine()).text).toBe('line 40');
  expect(Math.abs((await topLine()).below - shownBefore.below)).toBeLessThan(2);
  const after = await scroller.evaluate((el) => el.scrollTop);
  expect(Math.abs(after - before - 30 * lineHeight)).toBeLessThan(lineHeight / 2);
});
