// In-app navigation: every way between the list and the editors — a list link, the
// "Tandem" link, a link in the preview, Back and Forward — leaves an editor's session
// stopped (its socket closed) and the console free of panics (the console guard of
// `helpers.ts` fails the test on any).
import { expect, type Page, type WebSocket } from '@playwright/test';
import { test, focusBody } from './helpers';

/** Every WebSocket the page opens, in order. */
function sockets(page: Page): WebSocket[] {
  const opened: WebSocket[] = [];
  page.on('websocket', (ws) => opened.push(ws));
  return opened;
}

/** Waits until the editor of document `id` is live in `page`. */
async function editorLive(page: Page, id: string) {
  await expect(page).toHaveURL(new RegExp(`/d/${id}$`));
  // The editor of that document, not the one of the page left, still shown while the next one loads.
  await expect(page.getByTestId('editor')).toHaveAttribute('data-doc', id);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
}

/** Waits until the workspace list is shown in `page`. */
async function listShown(page: Page) {
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
}

/** Waits until the editor that opened `ws` has let go of it. */
async function leftBehind(ws: WebSocket | undefined) {
  expect(ws, 'the editor opened a socket').toBeDefined();
  await expect.poll(() => ws!.isClosed(), { message: 'the editor left behind closes its socket' }).toBe(true);
}

test('moving between the list and editors stops each editor left and panics nowhere', async ({ page, request }) => {
  const create = async (title: string) => (await (await request.post('/api/docs', { data: { title } })).json()).id as string;
  const [first, second] = [await create('Navigation one'), await create('Navigation two')];
  const opened = sockets(page);

  // The list → a document.
  await page.goto('/');
  await listShown(page);
  // Clicked on the link itself: the list updates live (other documents come and
  // change), and a row can move under the pointer between finding it and clicking.
  await page.locator(`a[href="/d/${first}"]`).evaluate((a: HTMLElement) => a.click());
  await editorLive(page, first);
  const firstSocket = opened.at(-1);
  // A link to the second document, in the first one's text, for the preview.
  await focusBody(page);
  await page.keyboard.type(`[next](/d/${second})`);
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');

  // The document → the list, by the "Tandem" link.
  await page.getByRole('link', { name: 'Back to the workspace' }).click();
  await listShown(page);
  await leftBehind(firstSocket);

  // Back to the document, and Forward to the list again.
  await page.goBack();
  await editorLive(page, first);
  await page.goForward();
  await listShown(page);
  await leftBehind(opened.at(-1));

  // Back once more, then from the document to another by a link in its preview.
  await page.goBack();
  await editorLive(page, first);
  const again = opened.at(-1);
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByTestId('preview').getByRole('link', { name: 'next' }).click();
  await editorLive(page, second);
  await leftBehind(again);

  // Back from that document to the first one, and Forward to it again.
  const secondSocket = opened.at(-1);
  await page.goBack();
  await editorLive(page, first);
  await leftBehind(secondSocket);
  const last = opened.at(-1);
  await page.goForward();
  await editorLive(page, second);
  await leftBehind(last);
});

test('a page whose code cannot be fetched says so instead of stopping, and opens when tried again', async ({ browser }) => {
  const context = await browser.newContext();
  let reachable = false;
  // The editor's chunk is refused at first, as a proxy in front of a restarting server would.
  await context.route('**/split_editor_chunk*.wasm', (route) => (reachable ? route.continue() : route.fulfill({ status: 503, body: 'unavailable' })));
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  await page.getByTestId('new-doc').click();
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]+$/);
  await expect(page.getByTestId('page-unavailable')).toContainText('could not be loaded');

  reachable = true;
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
  await expect(page.getByTestId('page-unavailable')).toHaveCount(0);
});
