// The workspace list: untitled documents named by their first line, times in
// the reader's zone and relative when recent, the exact time on hover.
import { expect, type APIRequestContext, type Browser } from '@playwright/test';
import * as Y from 'yjs';
import { test, freshId } from './helpers';

const DAY_MS = 24 * 3_600_000;

/** Stores a document whose body is `body` and which has no title; returns its listing entry. */
async function untitled(request: APIRequestContext, body: string) {
  const id = freshId('list');
  const doc = new Y.Doc();
  doc.getText('content').insert(0, body);
  const res = await request.post(`/api/docs/${id}/update`, { data: Buffer.from(Y.encodeStateAsUpdate(doc)) });
  expect(res.status()).toBe(204);
  return (await (await request.get(`/api/docs/${id}`)).json()) as { id: string; updated_at: number };
}

/** The list in a browser in India's time zone (UTC+5:30), at `at` (Unix ms) if given; panics and page errors collected. */
async function openList(browser: Browser, at?: number) {
  const page = await (await browser.newContext({ timezoneId: 'Asia/Kolkata', locale: 'en-GB' })).newPage();
  if (at !== undefined) await page.clock.setFixedTime(at);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.text().includes('panicked') && errors.push(m.text()));
  await page.goto('/');
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  return { page, errors };
}

test('a document without a title is listed by its first line', async ({ browser, request }) => {
  const doc = await untitled(request, '\n# Shopping list\nmilk\n');
  const { page, errors } = await openList(browser);
  await expect(page.locator(`a[href="/d/${doc.id}"]`)).toHaveText('Shopping list');
  expect(errors).toEqual([]);
});

test('times are relative when recent, local otherwise, with the exact local time on hover', async ({ browser, request }) => {
  const doc = await untitled(request, 'times');
  const time = (page: import('@playwright/test').Page) => page.locator(`li:has(a[href="/d/${doc.id}"]) time`);

  const { page, errors } = await openList(browser);
  await expect(time(page)).toHaveText(/^(just now|\d+ min ago)$/);
  await expect(time(page)).toHaveAttribute('datetime', new Date(doc.updated_at).toISOString().replace(/\.\d+Z$/, 'Z'));
  const exact = await page.evaluate(
    (ms) => new Date(ms).toLocaleString(navigator.language, { dateStyle: 'full', timeStyle: 'short' }),
    doc.updated_at,
  );
  await expect(time(page)).toHaveAttribute('title', exact);
  expect(exact).not.toContain('UTC');
  expect(errors).toEqual([]);

  const later = await openList(browser, doc.updated_at + DAY_MS);
  await expect(time(later.page)).toHaveText('yesterday');
  const muchLater = await openList(browser, doc.updated_at + 30 * DAY_MS);
  const date = await muchLater.page.evaluate(
    (ms) => new Date(ms).toLocaleDateString(navigator.language, { dateStyle: 'medium' }),
    doc.updated_at,
  );
  await expect(time(muchLater.page)).toHaveText(date);
});

test('the server renders UTC times, which hydration keeps until it shows local ones', async ({ browser, request }) => {
  const doc = await untitled(request, 'first paint');
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await noJs.goto('/');
  await expect(noJs.locator(`li:has(a[href="/d/${doc.id}"]) time`)).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
});
