// Images pasted into the body: uploaded as attachments of the document, shown
// in the preview, and refused with the reason in place of the placeholder.
import { expect, type Page } from '@playwright/test';
import { test, freshId, openEditor } from './helpers';

/** A 1×1 PNG. */
const DOT_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

type Pasted = { name: string; type: string; base64?: string; text?: string; size?: number };

/** Pastes one file into `page`'s body, as the clipboard would hand it over. */
async function paste(page: Page, file: Pasted) {
  await page.getByTestId('editor').evaluate((el, f) => {
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
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, file);
}

test('a pasted image is uploaded, and both people see its Markdown and the picture', async ({ browser }) => {
  const id = freshId('img');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await a.getByTestId('editor').click();
  await a.keyboard.type('Look: ');
  await paste(a, { name: 'dot.png', type: 'image/png', base64: DOT_PNG });
  const markdown = new RegExp(`^Look: !\\[dot\\.png\\]\\(/api/docs/${id}/attachments/[A-Za-z0-9_-]+\\)$`);
  await expect(b.getByTestId('editor')).toHaveValue(markdown);
  await expect(a.getByTestId('editor')).toHaveValue(markdown);
  await expect(a.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');

  await b.getByRole('button', { name: 'Split' }).click();
  const picture = b.getByTestId('preview').locator('img[alt="dot.png"]');
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);

  // One undo takes the image back out, and only the image.
  await a.getByTestId('editor').click();
  await a.keyboard.press('Control+z');
  await expect(b.getByTestId('editor')).toHaveValue('Look: ');
});

test('an image the server refuses turns its placeholder into the reason', async ({ browser }) => {
  const id = freshId('img-refused');
  const [a, b] = [await openEditor(browser, `d/${id}`), await openEditor(browser, `d/${id}`)];
  await a.getByTestId('editor').click();
  await paste(a, { name: 'page.png', type: 'image/png', text: '<html><script>alert(1)</script></html>' });
  await expect(b.getByTestId('editor')).toHaveValue(/^!\[Could not upload page\.png: [^\]]+\]\(\)$/);
  await a.keyboard.press('Control+End');
  await a.keyboard.type('\n');
  await paste(a, { name: 'huge.png', type: 'image/png', size: 20 * 1024 * 1024 });
  await expect(b.getByTestId('editor')).toHaveValue(/\n!\[Could not upload huge\.png: [^\]]+\]\(\)$/, { timeout: 30_000 });
  await b.getByRole('button', { name: 'Split' }).click();
  await expect(b.getByTestId('preview').locator('img')).toHaveCount(0);
});
