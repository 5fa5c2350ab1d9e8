// Images pasted or dropped into the body: a placeholder everyone sees while
// the file uploads as an attachment of the document, then its Markdown and
// the picture in the preview, or the reason it was refused.
import { expect, type Page } from '@playwright/test';
import { test, bodyContent, expectBody, focusBody, freshId, openEditor } from './helpers';
import { setupAda, startAccounts, stopTandem } from './tandem';

/** A 1×1 PNG. */
const DOT_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

type Pasted = { name: string; type: string; base64?: string; text?: string; size?: number };

/** The Markdown of an uploaded image of document `id`, as a pattern (the attachment id varies). */
const imageMarkdown = (id: string, name: string) =>
  `!\\[${name.replace(/\./g, '\\.')}\\]\\(/api/docs/${id}/attachments/[A-Za-z0-9_-]+\\)`;

/**
 * Hands `file` to `page`'s body as the clipboard does on a paste, or — with
 * `dropAt`, an offset in the text — as a drag and drop onto that character.
 * The event goes to the surface's editable element, where its handlers are.
 */
async function paste(page: Page, file: Pasted, dropAt?: number) {
  await bodyContent(page).evaluate((el, [f, at]) => {
    let bytes: Uint8Array;
    if (f.base64) bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
    else if (f.text) bytes = new TextEncoder().encode(f.text);
    else {
      // Large, starting like a PNG: the size is what is refused.
      bytes = new Uint8Array(f.size!);
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    }
    const data = new DataTransfer();
    data.items.add(new File([bytes], f.name, { type: f.type }));
    if (at === null) {
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      return;
    }
    // The point on screen of the character at `at`: its left edge, halfway down.
    let left = at;
    // The document's own text, not a collaborator's caret label.
    const outsideCarets = (n: Node) => (n.parentElement?.closest('.caret') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT);
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, { acceptNode: outsideCarets });
    for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
      if (left < node.length) {
        const range = document.createRange();
        range.setStart(node, left);
        range.setEnd(node, left + 1);
        const box = range.getBoundingClientRect();
        const [clientX, clientY] = [box.left + 1, box.top + box.height / 2];
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: data, clientX, clientY, bubbles: true, cancelable: true }));
        return;
      }
      left -= node.length + 1; // each line is one text node here, and lines are one unit (the break) apart
    }
    throw new Error(`no character at ${at}`);
  }, [file, dropAt ?? null] as const);
}

test('a pasted image is uploaded, and both people see its placeholder, its Markdown and the picture', async ({ browser }) => {
  const id = freshId('img');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  // The upload waits until the placeholder has been seen on both sides.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await a.route('**/attachments', async (route) => {
    await released;
    await route.continue();
  });
  await focusBody(a);
  await a.keyboard.type('Look: ');
  await paste(a, { name: 'dot.png', type: 'image/png', base64: DOT_PNG });
  await expectBody(b, 'Look: ![Uploading dot.png…]()');
  await expectBody(a, 'Look: ![Uploading dot.png…]()');
  release();
  const markdown = new RegExp(`^Look: ${imageMarkdown(id, 'dot.png')}$`);
  await expectBody(b, markdown);
  await expectBody(a, markdown);
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');

  await b.getByRole('button', { name: 'Split' }).click();
  const picture = b.getByTestId('preview').locator('img[alt="dot.png"]');
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);

  // One undo takes the image back out, and only the image (the placeholder does not come back)...
  await focusBody(a);
  await a.keyboard.press('Control+z');
  await expectBody(b, 'Look: ');
  await expect(picture).toHaveCount(0);
  // ...and one redo brings it back whole.
  await a.keyboard.press('Control+y');
  await expectBody(b, markdown);
  await expect(picture).toBeVisible();
});

test('typing after a pasted image goes on after it', async ({ browser }) => {
  const id = freshId('img-caret');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  await a.keyboard.type('Look: ');
  await paste(a, { name: 'dot.png', type: 'image/png', base64: DOT_PNG });
  await expectBody(a, new RegExp(`^Look: ${imageMarkdown(id, 'dot.png')}$`));
  await a.keyboard.type(' nice');
  await expectBody(b, new RegExp(`^Look: ${imageMarkdown(id, 'dot.png')} nice$`));
});

test('an image dropped onto the text lands where it is dropped', async ({ browser }) => {
  const id = freshId('img-drop');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  await a.keyboard.insertText('first line\nsecond line');
  await expectBody(b, 'first line\nsecond line');
  // Dropped onto the "s" of "second" (the caret is elsewhere, at the end).
  await paste(a, { name: 'dropped.png', type: 'image/png', base64: DOT_PNG }, 11);
  const markdown = new RegExp(`^first line\\n${imageMarkdown(id, 'dropped.png')}second line$`);
  await expectBody(b, markdown);
  await expectBody(a, markdown);
  await b.getByRole('button', { name: 'Split' }).click();
  await expect(b.getByTestId('preview').locator('img[alt="dropped.png"]')).toBeVisible();
});

test('pasted text is inserted as text, at the caret, for everyone', async ({ browser }) => {
  const id = freshId('paste-text');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  await a.keyboard.type('before after');
  await a.keyboard.press('Control+ArrowLeft');
  await bodyContent(a).evaluate((el) => {
    const data = new DataTransfer();
    data.setData('text/plain', 'pasted\nlines ');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expectBody(b, 'before pasted\nlines after');
  await expectBody(a, 'before pasted\nlines after');
});

test('an image the server refuses turns its placeholder into the reason', async ({ browser }) => {
  const id = freshId('img-refused');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await focusBody(a);
  // HTML named like a PNG: refused for what it is, not for its name.
  await paste(a, { name: 'page.png', type: 'image/png', text: '<html><script>alert(1)</script></html>' });
  await expectBody(b, /^!\[Could not upload page\.png: [^\]]+\]\(\)$/);
  await a.keyboard.press('Control+End');
  await a.keyboard.press('Enter');
  // Twice the server's limit on an attachment.
  await paste(a, { name: 'huge.png', type: 'image/png', size: 20 * 1024 * 1024 });
  await expectBody(b, /\n!\[Could not upload huge\.png: [^\]]+\]\(\)$/, { timeout: 30_000 });
  await expectBody(a, /^!\[Could not upload page\.png: [^\]]+\]\(\)\n!\[Could not upload huge\.png: [^\]]+\]\(\)$/);
  await b.getByRole('button', { name: 'Split' }).click();
  await expect(b.getByTestId('preview').locator('img')).toHaveCount(0);
});

test('a guest with an edit link pastes an image: it uploads as the link\'s guest, and both see the picture', async ({ browser }) => {
  test.setTimeout(90_000);
  const { child, base, setup } = await startAccounts();
  try {
    const cookie = await setupAda(base, setup);
    const post = async (path: string, body: object) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { cookie, origin: base, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(201);
      return res.json();
    };
    const { id } = await post('/api/docs', {});
    const { url } = await post(`/api/docs/${id}/links`, { role: 'editor' });
    const owner = await (await browser.newContext()).newPage();
    const [name, value] = cookie.split('=');
    await owner.context().addCookies([{ name, value, url: base }]);
    await owner.goto(`${base}/d/${id}`);
    // The guest has no account and no cookie: only the link.
    const guest = await (await browser.newContext()).newPage();
    await guest.goto(`${base}${url}`);
    for (const page of [owner, guest]) await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });

    await paste(guest, { name: 'dot.png', type: 'image/png', base64: DOT_PNG });
    const markdown = new RegExp(`^${imageMarkdown(id, 'dot.png')}$`);
    await expectBody(owner, markdown);
    await expectBody(guest, markdown);
    // Both see the picture: the guest's preview asks for it with the link's token.
    for (const page of [owner, guest]) {
      await page.getByRole('button', { name: 'Split' }).click();
      const picture = page.getByTestId('preview').locator('img[alt="dot.png"]');
      await expect(picture).toBeVisible();
      await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    }
    // Opened again, the guest's page as the server renders it shows the picture too.
    await guest.reload();
    const rendered = guest.getByTestId('preview').locator('img[alt="dot.png"]');
    await expect.poll(() => rendered.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  } finally {
    await stopTandem(child);
  }
});
