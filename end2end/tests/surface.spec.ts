// The body's editing surface (CodeMirror bound to the shared text): Markdown
// highlighting, the formatting keys and toolbar, list continuation and
// indentation, per-person undo, input method compositions beside a
// collaborator's typing, and collaborators' carets in a large document.
import { expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import * as Y from 'yjs';
import {
  test,
  bodyContent,
  bodySelection,
  bodyText,
  caretPlace,
  contextAs,
  expectBody,
  focusBody,
  freshId,
  openEditor,
  selectIn,
  shownText,
} from './helpers';

/** Opens document `id` as `name` (relative to the base URL) and waits until it is live. */
async function openAs(browser: Browser, name: string, id: string): Promise<Page> {
  const page = await (await contextAs(browser, name)).newPage();
  await page.goto(`d/${id}`);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  return page;
}

/** The body's drawn line whose text is `text` (a collaborator's caret label aside). */
const line = (page: Page, text: string) => bodyContent(page).locator('.cm-line').filter({ hasText: text });

/** Waits until `page` shows `markdown` highlighted: the heading and the strong text styled as such. */
async function expectHighlighted(page: Page) {
  await expect(line(page, '# Plan').locator('.md-h').first()).toBeVisible();
  await expect(line(page, '# Plan').locator('.md-h1')).not.toHaveCount(0);
  await expect(line(page, 'Ship **soon**').locator('.md-strong')).not.toHaveCount(0);
  await expect(line(page, 'Ship **soon**').locator('.md-strong').filter({ hasText: 'soon' })).toHaveCount(1);
  // Plain text is not styled as any of it.
  await expect(line(page, 'Ship **soon**').locator('.md-h, .md-strong').filter({ hasText: 'Ship' })).toHaveCount(0);
}

test('two people edit highlighted Markdown and converge, also after one was away', { tag: '@proxy' }, async ({ browser, request }) => {
  const id = freshId('surface');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  await a.keyboard.insertText('# Plan\n\nShip **soon**');
  await expectBody(b, '# Plan\n\nShip **soon**');
  for (const page of [a, b]) await expectHighlighted(page);

  // Both at once: Ada at the end, Bob at the start.
  await a.keyboard.press('Control+End');
  await focusBody(b);
  await b.keyboard.press('Control+Home');
  await Promise.all([a.keyboard.type(', *really*', { delay: 15 }), b.keyboard.type('Draft: ', { delay: 15 })]);
  const together = 'Draft: # Plan\n\nShip **soon**, *really*';
  for (const page of [a, b]) {
    await expectBody(page, together);
    await expect.poll(() => shownText(page)).toBe(together);
    await expect(line(page, 'really').locator('.md-em')).not.toHaveCount(0);
  }
  // "Draft: # Plan" is no heading any more, on both sides.
  for (const page of [a, b]) await expect(line(page, 'Draft: # Plan').locator('.md-h')).toHaveCount(0);
  await b.keyboard.press('Control+Home');
  for (let i = 0; i < 'Draft: '.length; i++) await b.keyboard.press('Delete');

  // Ada is away for a while; both write; she comes back.
  await expectBody(a, '# Plan\n\nShip **soon**, *really*');
  await a.context().setOffline(true);
  await expect(a.getByTestId('connection-status')).toHaveAttribute('data-state', 'offline');
  await a.keyboard.press('Control+End');
  await a.keyboard.insertText('\n\n## Risks');
  await selectIn(b, '# Plan\n\n'.length);
  await b.keyboard.type('**Now** ');
  await expectBody(a, '# Plan\n\nShip **soon**, *really*\n\n## Risks');
  await expectBody(b, '# Plan\n\n**Now** Ship **soon**, *really*');
  await a.context().setOffline(false);
  const merged = '# Plan\n\n**Now** Ship **soon**, *really*\n\n## Risks';
  for (const page of [a, b]) {
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
    await expectBody(page, merged);
    await expect.poll(() => shownText(page)).toBe(merged);
    await expectHighlighted(page);
    await expect(line(page, '## Risks').locator('.md-h2')).not.toHaveCount(0);
    await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  }
  // A page opened again shows the same, highlighted, and the server stores it.
  await b.reload();
  await expect(b.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await expectBody(b, merged);
  await expectHighlighted(b);
  expect(await (await request.get(`api/docs/${id}/text`)).text()).toBe(merged);
});

test('the text of a list item is not styled as Markdown markup; only its marker is', async ({ browser }) => {
  const page = await openEditor(browser, `d/${freshId('surface-list')}`);
  await focusBody(page);
  await page.keyboard.insertText('- milk\n1. eggs');
  for (const [text, word] of [['- milk', 'milk'], ['1. eggs', 'eggs']]) {
    await expect(line(page, text).locator('.md-mark').first()).toBeVisible();
    await expect(line(page, text).locator('.md-mark').filter({ hasText: word })).toHaveCount(0);
  }
});

test('long lines wrap inside the body instead of scrolling it sideways', async ({ browser }) => {
  const page = await openEditor(browser, `d/${freshId('surface-wrap')}`);
  await focusBody(page);
  await page.keyboard.insertText('short\n' + 'word '.repeat(200));
  await expectBody(page, 'short\n' + 'word '.repeat(200));
  const [short, long] = [await line(page, 'short').boundingBox(), await line(page, 'word word').boundingBox()];
  expect(long!.height).toBeGreaterThan(3 * short!.height);
  const scroller = page.getByTestId('editor').locator('.cm-scroller');
  expect(await scroller.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(1);
});

test('until the document has arrived the body cannot be edited', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  // The socket opens but the server is never reached, so nothing is synced.
  await page.routeWebSocket(/\/ws\//, () => {});
  await page.goto(`d/${freshId('surface-unsynced')}`);
  await expect(bodyContent(page)).toBeVisible();
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'false');
  await expect(bodyContent(page)).toHaveAttribute('contenteditable', 'false');
  await bodyContent(page).click();
  await page.keyboard.type('lost?');
  await page.keyboard.press('Control+B');
  expect(await bodyText(page)).toBe('');
});

/**
 * Runs `action` in Ada's page on `selection` of the text `before` and checks
 * that both pages then hold `after`; then that one undo restores `before`
 * exactly, on both sides. Nothing waits for Bob first: the action follows
 * Ada's typing closely, as it does when a person selects and formats at once.
 */
async function formatAndUndo(a: Page, b: Page, before: string, selection: [number, number], action: () => Promise<void>, after: string) {
  await expectBody(a, before);
  await selectIn(a, ...selection);
  await action();
  await expectBody(a, after);
  await expectBody(b, after);
  await a.keyboard.press('Control+z');
  await expectBody(a, before);
  await expectBody(b, before);
}

test('Ctrl+B, Ctrl+I, Ctrl+K and the toolbar write Markdown, each one undo step that reaches the collaborator', async ({ browser }) => {
  const id = freshId('surface-format');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  const plain = 'one two three';
  await a.keyboard.type(plain);
  const two: [number, number] = [4, 7];
  const press = (key: string) => () => a.keyboard.press(key);
  const click = (name: string) => () => a.getByTestId('toolbar').getByRole('button', { name, exact: true }).click();

  await formatAndUndo(a, b, plain, two, press('Control+B'), 'one **two** three');
  await formatAndUndo(a, b, plain, two, press('Control+I'), 'one *two* three');
  await formatAndUndo(a, b, plain, two, press('Control+K'), 'one [two](url) three');
  await formatAndUndo(a, b, plain, two, click('Bold'), 'one **two** three');
  await formatAndUndo(a, b, plain, two, click('Italic'), 'one *two* three');
  await formatAndUndo(a, b, plain, two, click('Link'), 'one [two](url) three');

  // Bold keeps "two" selected, so pressing it again takes the marks off again.
  await selectIn(a, ...two);
  await a.keyboard.press('Control+B');
  await expectBody(b, 'one **two** three');
  expect(await bodySelection(a)).toEqual([6, 9]);
  await a.keyboard.press('Control+B');
  await expectBody(b, plain);
  expect(await bodySelection(a)).toEqual(two);

  // A link selects its "url", to be typed over; the toolbar leaves the focus in the text.
  await a.getByTestId('toolbar').getByRole('button', { name: 'Link', exact: true }).click();
  await expect(bodyContent(a)).toBeFocused();
  expect(await bodySelection(a)).toEqual([10, 13]);
  await a.keyboard.type('https://example.org');
  await expectBody(b, 'one [two](https://example.org) three');
  // What was typed is one step, the link another.
  await a.keyboard.press('Control+z');
  await expectBody(b, 'one [two](url) three');
  await a.keyboard.press('Control+z');
  await expectBody(b, plain);
  await expectBody(a, plain);
});

test('Enter continues lists, numbers, tasks and quotes; Enter on an empty item ends the list; Tab indents', async ({ browser }) => {
  const id = freshId('surface-lists');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  const steps: [string, string][] = [
    ['- milk', '- milk'],
    ['Enter', '- milk\n- '],
    ['eggs', '- milk\n- eggs'],
    ['Enter', '- milk\n- eggs\n- '],
    // An empty item: Enter ends the list, leaving an empty line.
    ['Enter', '- milk\n- eggs\n'],
    ['1. first', '- milk\n- eggs\n1. first'],
    ['Enter', '- milk\n- eggs\n1. first\n2. '],
    ['second', '- milk\n- eggs\n1. first\n2. second'],
    ['Enter', '- milk\n- eggs\n1. first\n2. second\n3. '],
    ['Enter', '- milk\n- eggs\n1. first\n2. second\n'],
    ['- [ ] call', '- milk\n- eggs\n1. first\n2. second\n- [ ] call'],
    ['Enter', '- milk\n- eggs\n1. first\n2. second\n- [ ] call\n- [ ] '],
    ['write', '- milk\n- eggs\n1. first\n2. second\n- [ ] call\n- [ ] write'],
    ['Enter', '- milk\n- eggs\n1. first\n2. second\n- [ ] call\n- [ ] write\n- [ ] '],
    ['Enter', '- milk\n- eggs\n1. first\n2. second\n- [ ] call\n- [ ] write\n'],
    ['> quoted', '- milk\n- eggs\n1. first\n2. second\n- [ ] call\n- [ ] write\n> quoted'],
    ['Enter', '- milk\n- eggs\n1. first\n2. second\n- [ ] call\n- [ ] write\n> quoted\n> '],
  ];
  for (const [input, text] of steps) {
    if (input === 'Enter') await a.keyboard.press('Enter');
    else await a.keyboard.type(input);
    await expectBody(a, text, { message: `after ${JSON.stringify(input)}` });
  }
  const lists = steps.at(-1)![1];
  await expectBody(b, lists);

  // Tab indents the line by two spaces, Shift+Tab takes them off again; the focus stays.
  await selectIn(a, lists.indexOf('eggs'));
  await a.keyboard.press('Tab');
  await expectBody(b, lists.replace('- eggs', '  - eggs'));
  await expect(bodyContent(a)).toBeFocused();
  await a.keyboard.press('Shift+Tab');
  await expectBody(b, lists);
  // Escape, then Tab or Shift+Tab, moves the focus on instead, and the text stays as it is.
  await a.keyboard.press('Escape');
  await a.keyboard.press('Shift+Tab');
  await expect(a.getByTestId('toolbar').getByRole('button', { name: 'Link', exact: true })).toBeFocused();
  await focusBody(a);
  await a.keyboard.press('Escape');
  await a.keyboard.press('Tab');
  await expect(bodyContent(a)).not.toBeFocused();
  await expectBody(a, lists);
  await expectBody(b, lists);
});

test('undo takes back only one\'s own typing: the collaborator\'s stays, on both sides', async ({ browser }) => {
  const id = freshId('surface-undo');
  const ada = await openAs(browser, 'Ada', id);
  const bob = await openAs(browser, 'Bob', id);
  await focusBody(ada);
  await ada.keyboard.type('Ada was here. ');
  await expectBody(bob, 'Ada was here. ');
  await focusBody(bob);
  await bob.keyboard.press('Control+End');
  await bob.keyboard.type('Bob too.');
  await expectBody(ada, 'Ada was here. Bob too.');

  await ada.keyboard.press('Control+z');
  await expectBody(ada, 'Bob too.');
  await expectBody(bob, 'Bob too.');
  // Bob's undo has nothing of Ada's to take back either.
  await bob.keyboard.press('Control+z');
  await expectBody(bob, '');
  await expectBody(ada, '');
  await ada.keyboard.press('Control+y');
  await expectBody(ada, 'Ada was here. ');
  await expectBody(bob, 'Ada was here. ');
  await bob.keyboard.press('Control+Shift+Z');
  await expectBody(bob, 'Ada was here. Bob too.');
  await expectBody(ada, 'Ada was here. Bob too.');
});

test('an input method composition beside a collaborator\'s typing arrives once, and both converge', async ({ browser }) => {
  const id = freshId('surface-ime');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  await a.keyboard.type('Meeting: ');
  await expectBody(b, 'Meeting: ');
  await focusBody(b);
  await b.keyboard.press('Control+End');
  await b.keyboard.type('(notes) ');
  await expectBody(a, 'Meeting: (notes) ');
  await b.keyboard.press('Control+Home');
  await selectIn(a, 'Meeting: '.length);

  // Ada composes 日本語 while Bob types at the start: each of his keys is
  // stored (and so relayed to Ada) before her composition goes on.
  const ime = await a.context().newCDPSession(a);
  const steps = ['に', 'にほ', 'にほん', 'にほんご'];
  for (const [i, text] of steps.entries()) {
    await ime.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    await b.keyboard.type(i < steps.length - 1 ? 'Bob: '[i] : 'Bob: '.slice(i));
    await expect(b.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  }
  await expectBody(b, /^Bob: Meeting: /);
  await ime.send('Input.insertText', { text: '日本語' });

  const both = 'Bob: Meeting: 日本語(notes) ';
  await expectBody(a, both);
  await expectBody(b, both);
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  await expect(b.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  for (const page of [a, b]) {
    const text = (await bodyText(page))!;
    expect(text.split('日本語').length - 1, 'the composed text once').toBe(1);
    expect(text).not.toMatch(/[にほんご]/);
    await expect.poll(() => shownText(page)).toBe(both);
  }
  // Ada's caret is after what she composed: she types on from there.
  await a.keyboard.type('!');
  await expectBody(b, 'Bob: Meeting: 日本語!(notes) ');
});

/** Stores a document of `lines` as its body, through the HTTP API, as a Yjs update. */
async function storeBody(request: APIRequestContext, id: string, lines: string[]) {
  const doc = new Y.Doc();
  doc.getText('content').insert(0, lines.join('\n'));
  const res = await request.post(`api/docs/${id}/update`, { data: Buffer.from(Y.encodeStateAsUpdate(doc)) });
  expect(res.status()).toBe(204);
}

/** Inserts `text` at the start of the stored body, as a client of the HTTP API. */
async function insertAtStart(request: APIRequestContext, id: string, text: string) {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await (await request.get(`api/docs/${id}/state`)).body());
  const known = Y.encodeStateVector(doc);
  doc.getText('content').insert(0, text);
  const res = await request.post(`api/docs/${id}/update`, { data: Buffer.from(Y.encodeStateAsUpdate(doc, known)) });
  expect(res.status()).toBe(204);
}

test('in a 16,000-line document a collaborator\'s caret far down is drawn on its line, and stays on it when lines come above', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const id = freshId('surface-large');
  const lines = Array.from({ length: 16_000 }, (_, i) => `line ${i + 1} of the long document`);
  await storeBody(request, id, lines);
  const ada = await openAs(browser, 'Ada', id);
  const bob = await openAs(browser, 'Bob', id);
  for (const page of [ada, bob]) {
    await expect.poll(() => page.getByTestId('editor').evaluate((el: any) => el.surface?.lineCount())).toBe(16_000);
  }
  // Ada's caret goes to line 15,000, after "line 15000 ".
  const lineStart = (n: number) => lines.slice(0, n - 1).reduce((at, l) => at + l.length + 1, 0);
  const offset = lineStart(15_000) + 'line 15000 '.length;
  await selectIn(ada, offset);
  // Bob goes to a few lines below it; her caret is drawn in the line that holds her text.
  await selectIn(bob, lineStart(15_005));
  const caret = bob.locator('.caret[data-name="Ada"]');
  await expect(caret).toHaveAttribute('data-offset', String(offset), { timeout: 20_000 });
  await expect(bob.locator('.cm-line').filter({ has: caret })).toBeInViewport();
  await expect.poll(() => caretPlace(caret)).toEqual({ line: 'line 15000 of the long document', before: 'line 15000 ' });

  // Someone adds ten lines at the top: her caret stays on the same text, ten lines further down.
  const added = 'added\n'.repeat(10);
  await insertAtStart(request, id, added);
  await expect.poll(() => bodyText(bob).then((t) => t?.slice(0, added.length))).toBe(added);
  await expect(bob.locator('.cm-line').filter({ has: caret })).toBeInViewport();
  await expect.poll(() => caretPlace(caret)).toEqual({ line: 'line 15000 of the long document', before: 'line 15000 ' });
  await expect(caret).toHaveAttribute('data-offset', String(offset + added.length));
  expect(await bodySelection(ada)).toEqual([offset + added.length, offset + added.length]);
});

test('a long document\'s preview follows the body\'s scrolling and edits, also after it was hidden and shown again', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const id = freshId('preview-long');
  const sections = 3_000;
  const lines = Array.from({ length: sections }, (_, i) => [`## Section ${i + 1}`, '', `Paragraph ${i + 1} with *emphasis*.`, '']).flat();
  await storeBody(request, id, lines);
  const page = await openAs(browser, 'Ada', id);
  const preview = page.getByTestId('preview');
  // The section numbers of the headings the preview shows in its view (found by
  // hit testing: measuring every heading would lay out the blocks out of view).
  await page.evaluate(() => {
    (window as any).headingsInView = (root: Element) => {
      const box = root.getBoundingClientRect();
      const found = new Set<number>();
      for (let y = box.top + 2; y < box.bottom; y += 8) {
        for (const el of document.elementsFromPoint(box.left + 40, y)) {
          const h = el.closest('h2');
          if (h && root.contains(h)) found.add(Number(h.textContent!.replace('Section ', '')));
        }
      }
      return [...found];
    };
  });
  const inView = (): Promise<number[]> => preview.evaluate((root) => (window as any).headingsInView(root));
  const at = (n: number) => lines.slice(0, 4 * (n - 1)).reduce((sum, l) => sum + l.length + 1, 0) + `## Section ${n}`.length;
  const near = async (n: number) => (await inView()).some((shown) => shown >= n - 15 && shown <= n);

  // The body is at section 2,500 (its heading at the bottom of the view): the preview opens there.
  await selectIn(page, at(2_500));
  // What the first frame after the click shows: already there, before the rest of the blocks are drawn.
  const first = await preview.evaluate((root) => new Promise<{ headings: number; shown: number[] }>((resolve) => {
    document.querySelector<HTMLElement>('.modes button[data-mode=split]')!.click();
    requestAnimationFrame(() => setTimeout(() => resolve({ headings: root.querySelectorAll('h2').length, shown: (window as any).headingsInView(root) }), 0));
  }));
  expect(first.headings).toBeLessThan(sections);
  expect(first.shown.some((shown) => shown >= 2_500 - 15 && shown <= 2_500)).toBe(true);
  // Every block is drawn, the others after the first screens, and the view stays.
  await expect(preview.locator('h2')).toHaveCount(sections, { timeout: 20_000 });
  expect(await near(2_500)).toBe(true);

  // An edit there shows in the preview; the preview follows the body elsewhere.
  await selectIn(page, at(2_500));
  await page.keyboard.type(' edited');
  await expect(preview.locator('h2', { hasText: 'Section 2500 edited' })).toHaveCount(1);
  await selectIn(page, at(1_000));
  await expect.poll(() => near(1_000)).toBe(true);

  // Hidden, edited at the top, shown again: the preview shows the text as it is now, whole.
  await page.getByRole('button', { name: 'Edit' }).click();
  await expect(preview).toBeHidden();
  await selectIn(page, 0);
  await page.keyboard.type('# Top\n\n');
  await page.getByRole('button', { name: 'Split' }).click();
  await expect(preview.locator('h1')).toHaveText('Top');
  await expect(preview.locator('h1')).toBeInViewport();
  await expect(preview.locator('h2')).toHaveCount(sections, { timeout: 20_000 });
  await expect(preview.locator('h2', { hasText: 'Section 2500 edited' })).toHaveCount(1);
});

test('a preview renderer that cannot be fetched stops nothing, and is fetched again when the preview next changes', async ({ browser }) => {
  const context = await browser.newContext();
  let reachable = false;
  // Refused by the server (a proxy's 503 in front of a restarting server, say).
  await context.route('**/split_preview_renderer*.wasm', (route) => (reachable ? route.continue() : route.fulfill({ status: 503, body: 'unavailable' })));
  const page = await context.newPage();
  const fetched = () => page.waitForEvent('requestfinished', (r) => r.url().includes('split_preview_renderer'));
  const fetchedAhead = fetched();
  await page.goto(`d/${freshId('renderer')}`);
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await fetchedAhead;
  await focusBody(page);
  await page.keyboard.type('# Shown');
  // Shown while the network is gone: asked for again, failing again, and the page lives on.
  const fetchedOnShow = fetched();
  await page.getByRole('button', { name: 'Split' }).click();
  await fetchedOnShow;
  await expectBody(page, '# Shown');
  reachable = true;
  await focusBody(page);
  await page.keyboard.type(' again');
  await expect(page.getByTestId('preview').locator('h1')).toHaveText('Shown again');
});
