// Web security in a real browser: the pages hydrate, sync and draw remote carets under the
// served Content Security Policy without a single violation; inline script without the
// response's nonce is blocked; a page of another site cannot open a socket to Tandem.
import { expect, type Browser, type Page } from '@playwright/test';
import { test, bodyContent, expectBody, focusBody, freshId } from './helpers';

/** A new page whose CSP violations (events and console reports) are collected in the returned array. */
async function watchedPage(browser: Browser): Promise<{ page: Page; violations: string[] }> {
  const page = await (await browser.newContext()).newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportViolation: (v: string) => void }).reportViolation(
        `${e.effectiveDirective} blocked ${e.blockedURI}`,
      );
    });
  });
  return { page, violations };
}

/** Opens `path`, checks the page came with a nonce policy, and waits until the editor is live. */
async function openLiveEditor(page: Page, path: string) {
  const response = await page.goto(path);
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
}

test('the editor hydrates, syncs and shows remote carets under the CSP with no violation', { tag: '@proxy' }, async ({ browser, request }) => {
  const id = freshId('csp');
  const a = await watchedPage(browser);
  const b = await watchedPage(browser);
  await openLiveEditor(a.page, `d/${id}`);
  await openLiveEditor(b.page, `d/${id}`);

  await focusBody(a.page);
  await a.page.keyboard.type('# Under a strict policy\n\nwritten *together*');
  await expect(a.page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  await expectBody(b.page, '# Under a strict policy\n\nwritten *together*');
  // The surface's own styles (set from script) apply: its lines are laid out, highlighted.
  await expect(bodyContent(b.page).locator('.md-h').first()).toBeVisible();
  expect(await bodyContent(b.page).evaluate((el) => getComputedStyle(el).whiteSpace)).toMatch(/^(pre|break-spaces)/);
  // Remote carets are placed with inline styles, which the policy allows for styles only.
  await a.page.keyboard.press('ArrowLeft');
  const caret = b.page.locator('.caret');
  await expect(caret).toHaveCount(1);
  await expect.poll(() => caret.evaluate((el) => getComputedStyle(el).borderLeftStyle)).toBe('solid');
  await b.page.getByRole('button', { name: 'Split' }).click();
  await expect(b.page.getByTestId('preview').locator('h1')).toHaveText('Under a strict policy');
  expect(await (await request.get(`api/docs/${id}/text`)).text()).toBe('# Under a strict policy\n\nwritten *together*');

  // The workspace page too (its list listens to a same-origin event stream).
  await a.page.goto('./');
  await expect(a.page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  expect(a.violations).toEqual([]);
  expect(b.violations).toEqual([]);
});

test('an inline script without the nonce does not run', async ({ browser }) => {
  const { page, violations } = await watchedPage(browser);
  await openLiveEditor(page, `/d/${freshId('csp')}`);
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.body.appendChild(script);
  });
  await expect.poll(() => violations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected)).toBeUndefined();
});

/** Opens a WebSocket from `page` and reports whether it opened or how it closed. */
const tryWebSocket = (page: Page, url: string) =>
  page.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      }),
    url,
  );

test('a page of another site cannot open a WebSocket to Tandem; Tandem’s own page can', async ({ browser, baseURL }) => {
  const wsUrl = `${baseURL!.replace(/^http/, 'ws')}/ws/${freshId('cswsh')}`;
  const page = await (await browser.newContext()).newPage();
  await page.route('http://elsewhere.test/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Another site</title>' }),
  );
  await page.goto('http://elsewhere.test/');
  expect(await tryWebSocket(page, wsUrl)).toBe('closed 1006');

  await page.goto('/');
  expect(await tryWebSocket(page, wsUrl)).toBe('open');
});
