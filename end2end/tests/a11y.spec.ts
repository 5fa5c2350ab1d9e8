// Accessibility and comfort: dark mode, focus rings on everything one can tab
// to, readable status colors, and axe-core's checks on both pages in both schemes.
import { expect, type Page } from '@playwright/test';
import { test, fillBody, freshId, openEditor, seriousViolations } from './helpers';

const SCHEMES = ['light', 'dark'] as const;

/** Stores a document with a title and a little Markdown, and returns its path. */
async function sampleDoc(page: Page): Promise<string> {
  const path = `/d/${freshId('a11y')}`;
  await page.goto(path);
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  await page.getByTestId('doc-title').fill('Accessible');
  await fillBody(page, '# Notes\n\nSome **bold** text, `code` and a [link](https://example.org).\n\n```\nblock\n```\n');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  return path;
}

/**
 * What the focused element shows: its focus ring's style, width and color,
 * its own fill and the fill behind it (the nearest ancestor's opaque background),
 * and the WCAG contrast of the ring against both. The body's editable
 * element shows its ring on the editor around it (CodeMirror's `.cm-focused`).
 */
function focusRing(page: Page) {
  return page.evaluate(() => {
    const focused = document.activeElement as HTMLElement;
    const inBody = focused.matches('.cm-content');
    const el = inBody ? (focused.closest('.cm-editor') as HTMLElement) : focused;
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const opaque = (c: string) => { const v = rgb(c); return v.length === 3 || v[3] > 0; };
    const lum = (c: string) => {
      const [r, g, b] = rgb(c).slice(0, 3).map((x) => x / 255).map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = (a: string, b: string) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const fillOf = (start: Element | null) => {
      for (let e = start; e; e = e.parentElement) {
        const bg = getComputedStyle(e).backgroundColor;
        if (opaque(bg)) return bg;
      }
      return 'rgb(255, 255, 255)';
    };
    const style = getComputedStyle(el);
    const again = focused.dataset.tabbed === 'yes';
    focused.dataset.tabbed = 'yes';
    const own = fillOf(el);
    const behind = fillOf(el.parentElement);
    return {
      again,
      inBody,
      what: `${focused.tagName.toLowerCase()} "${focused.getAttribute('aria-label') ?? focused.textContent?.trim()}"`,
      style: style.outlineStyle,
      width: parseFloat(style.outlineWidth),
      againstFill: contrast(style.outlineColor, own),
      againstBehind: contrast(style.outlineColor, behind),
    };
  });
}

/**
 * Tabs through the whole page from the top, checking each stop's focus ring.
 * In the body Tab indents: Escape first lets the next Tab move on, as it
 * does for a person using the keyboard.
 */
async function everyFocusRing(page: Page): Promise<{ problems: string[]; stops: string[] }> {
  const problems: string[] = [];
  const visited: string[] = [];
  let stops = 0;
  await page.locator('body').focus();
  for (; stops < 40; stops++) {
    await page.keyboard.press('Tab');
    // CodeMirror marks its editor focused a moment after the focus arrives.
    if (await page.evaluate(() => document.activeElement?.matches('.cm-content')))
      await page.locator('.cm-editor.cm-focused').waitFor({ timeout: 2_000 }).catch(() => {});
    const ring = await focusRing(page);
    if (ring.what.startsWith('body') || ring.again) break;
    visited.push(ring.what);
    if (ring.style === 'none' || ring.width < 2) problems.push(`${ring.what}: no visible outline`);
    else if (Math.min(ring.againstFill, ring.againstBehind) < 3)
      problems.push(`${ring.what}: outline contrast ${ring.againstFill.toFixed(2)} / ${ring.againstBehind.toFixed(2)}`);
    if (ring.inBody) await page.keyboard.press('Escape');
  }
  expect(stops).toBeGreaterThanOrEqual(2);
  return { problems, stops: visited };
}

for (const scheme of SCHEMES) {
  test(`the list and the editor pass axe-core with no serious violations (${scheme})`, async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await page.emulateMedia({ colorScheme: scheme });
    const path = await sampleDoc(page);
    await page.goto('/');
    await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(path);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await page.getByRole('button', { name: 'Split' }).click();
    await expect(page.getByTestId('preview')).toContainText('block');
    expect(await seriousViolations(page)).toEqual([]);
  });

  test(`the editor's first paint, before the wasm has run, passes axe-core (${scheme})`, async ({ browser }) => {
    const writer = await (await browser.newContext()).newPage();
    const written = await sampleDoc(writer);
    const page = await (await browser.newContext({ colorScheme: scheme })).newPage();
    // The page's module never arrives: what is seen is the server's HTML alone.
    await page.route(/\/pkg\/[^/]+\.(js|wasm)$/, () => {});
    // An empty document (as every new one is) and one with text.
    for (const path of [`/d/${freshId('a11y-empty')}`, written]) {
      await page.goto(path);
      await expect(page.getByTestId('editor').locator('.editor-text')).toBeVisible();
      expect(await seriousViolations(page), path).toEqual([]);
    }
  });

  test(`everything one can tab to shows a focus ring that stands out (${scheme})`, async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await page.emulateMedia({ colorScheme: scheme });
    const path = await sampleDoc(page);
    // The pressed view button is among the stops: its ring must stand out from its own fill.
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.goto(path);
    await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
    const editor = await everyFocusRing(page);
    expect(editor.problems).toEqual([]);
    // The formatting buttons and the body are among the stops.
    expect(editor.stops).toEqual(expect.arrayContaining(['button "Bold"', 'button "Italic"', 'button "Link"', 'div "Document text"']));

    await page.goto('/');
    await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
    expect((await everyFocusRing(page)).problems).toEqual([]);
  });
}

test('a browser set to dark gets a dark page, with light text in the body', async ({ browser }) => {
  const page = await openEditor(browser, `/d/${freshId('dark')}`);
  await fillBody(page, 'plain text');
  const luminance = (of: 'backgroundColor' | 'color') =>
    page.getByTestId('editor').evaluate((el, what) => {
      const styled = what === 'color' ? el.querySelector('.cm-line')! : el;
      const [r, g, b] = (getComputedStyle(styled)[what].match(/\d+/g) ?? []).map(Number);
      return (r + g + b) / 3 / 255;
    }, of);
  expect(await luminance('backgroundColor')).toBeGreaterThan(0.8);
  expect(await luminance('color')).toBeLessThan(0.3);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => luminance('backgroundColor')).toBeLessThan(0.2);
  await expect.poll(() => luminance('color')).toBeGreaterThan(0.7);
});

test('the status texts are readable: at least 4.5:1 against the bar, in both schemes', async ({ browser }) => {
  const page = await openEditor(browser, `/d/${freshId('status')}`);
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const id of ['connection-status', 'sync-status']) {
      const ratio = await page.getByTestId(id).evaluate((el) => {
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: string) => {
          const [r, g, b] = rgb(c).map((x) => x / 255).map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const [a, b] = [lum(getComputedStyle(el).color), lum(getComputedStyle(el.closest('.bar')!).backgroundColor)].sort((p, q) => q - p);
        return (a + 0.05) / (b + 0.05);
      });
      expect(ratio, `${id} in ${scheme}`).toBeGreaterThanOrEqual(4.5);
    }
  }
});
