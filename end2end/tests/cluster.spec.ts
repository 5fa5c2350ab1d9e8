// The clustered mode through a real load balancer: scripts/test starts
// PostgreSQL, Redis, three nodes and nginx round-robining over them with no
// stickiness, and names each node in TANDEM_NODES as "pid:metricsPort".
// Without it (the ordinary run) these tests are skipped.
import { expect, type Browser, type Page } from '@playwright/test';
import { test, bodyText, caretPlace, contextAs, expectBody, focusBody, freshId, selectIn } from './helpers';

const nodes = (process.env.TANDEM_NODES ?? '')
  .split(',')
  .filter(Boolean)
  .map((node) => {
    const [pid, metrics] = node.split(':').map(Number);
    return { pid, metrics };
  });

test.skip(nodes.length === 0, 'needs the cluster scripts/test starts (TANDEM_NODES)');

/** WebSocket connections open on each node now, from its metrics listener (0 for a node that does not answer). */
async function connections(): Promise<number[]> {
  return Promise.all(
    nodes.map(async ({ metrics }) => {
      try {
        const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
        return Number(/^tandem_connections (\d+)/m.exec(text)?.[1] ?? 0);
      } catch {
        return 0;
      }
    }),
  );
}

/** Opens document `id` as `name` and waits until it is connected and synced. */
async function openAs(browser: Browser, name: string, id: string): Promise<Page> {
  const page = await (await contextAs(browser, name)).newPage();
  await page.goto(`d/${id}`);
  await synced(page);
  return page;
}

async function synced(page: Page) {
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
}

/** The node holding each of `count` sockets, once exactly `count` are open: one index per open socket. */
async function socketNodes(count: number): Promise<number[]> {
  let open: number[] = [];
  await expect
    .poll(async () => {
      open = (await connections()).flatMap((n, node) => Array<number>(n).fill(node));
      return open.length;
    })
    .toBe(count);
  return open;
}

test.beforeAll(async () => {
  // Every node is up (it answers on its metrics listener).
  await expect.poll(async () => (await Promise.all(nodes.map(({ metrics }) => fetch(`http://127.0.0.1:${metrics}/metrics`).then((r) => r.ok, () => false)))).every(Boolean), { timeout: 30_000 }).toBe(true);
});

test('two people on different nodes edit together, see each other\'s carets, and go on after one node is killed', { tag: '@cluster' }, async ({ browser }) => {
  const id = freshId('cluster');
  const ada = await openAs(browser, 'Ada', id);
  const [adaNode] = await socketNodes(1);
  // Grace's socket lands where round-robin puts it; she reloads until it is on another node than Ada's.
  const grace = await openAs(browser, 'Grace', id);
  for (let tries = 0; (await socketNodes(2)).filter((n) => n === adaNode).length > 1; tries++) {
    expect(tries, 'every reload landed on Ada\'s node').toBeLessThan(8);
    await grace.reload();
    await synced(grace);
  }

  // Typing crosses nodes both ways, and so does a caret.
  await focusBody(ada);
  await ada.keyboard.type('Ada on one node. ');
  await expectBody(grace, 'Ada on one node. ');
  await focusBody(grace);
  await grace.keyboard.press('Control+End');
  await grace.keyboard.type('Grace on another.');
  await expectBody(ada, 'Ada on one node. Grace on another.');
  await selectIn(ada, 3);
  const adaCaret = grace.locator('.caret[data-name="Ada"]');
  await expect(adaCaret).toHaveAttribute('data-offset', '3');
  await expect.poll(() => caretPlace(adaCaret)).toEqual({ line: 'Ada on one node. Grace on another.', before: 'Ada' });
  await expect(ada.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');

  // Ada's node is killed: her page reconnects through nginx to another node; nothing is lost.
  process.kill(nodes[adaNode].pid, 'SIGKILL');
  await synced(ada);
  await focusBody(ada);
  await ada.keyboard.press('Control+End');
  await ada.keyboard.type(' Ada again.');
  const text = 'Ada on one node. Grace on another. Ada again.';
  await expectBody(grace, text);
  await expectBody(ada, text);
  await expect(ada.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');
  expect(await bodyText(grace)).toBe(text);
});
