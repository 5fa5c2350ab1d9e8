// Smoke tests: the home page hydrates without errors; basic HTTP API and WebSocket-route checks.
import { expect } from '@playwright/test';
import { test } from './helpers';

test('home page hydrates and shows the heading', async ({ page }) => {
  const errors: Error[] = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto('/');
  const home = page.getByTestId('home');
  await expect(home).toHaveAttribute('data-state', 'ready');
  await expect(home.getByRole('heading', { level: 1 })).toHaveText('Tandem');
  expect(errors.map((e) => e.message)).toEqual([]);
});

test('GET /api/docs answers a JSON array', async ({ request }) => {
  const res = await request.get('/api/docs');
  expect(res.status()).toBe(200);
  expect(Array.isArray(await res.json())).toBe(true);
});

test('GET /ws/<invalid id> answers 400', async ({ request }) => {
  const res = await request.get('/ws/bad.id');
  expect(res.status()).toBe(400);
  // The id is rejected, not just the missing WebSocket handshake (which is also a 400).
  expect((await res.json()).error.code).toBe('invalid_doc_id');
});

test('the workspace list updates live when someone creates or renames a document', { tag: '@proxy' }, async ({ page, browser, request }) => {
  await page.goto('./');
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  const title = `Live list ${Date.now()}`;
  const created = await (await request.post('api/docs', { data: { title } })).json();
  const link = page.locator(`a[href$="/d/${created.id}"]`);
  await expect(link).toHaveText(title);

  const editor = await (await browser.newContext()).newPage();
  await editor.goto(`d/${created.id}`);
  await expect(editor.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  await editor.getByTestId('doc-title').fill(`${title} (renamed)`);
  await expect(link).toHaveText(`${title} (renamed)`);
});
