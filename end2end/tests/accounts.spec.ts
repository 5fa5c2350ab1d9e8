// Accounts mode, as people live it: first start, sign-in, sharing a view
// link with someone without an account, revoking it, and a member's role
// lowered and raised while they have the document open. The server is the
// test's own, started in accounts mode (the rest of the suite runs in open mode).
import { expect, type Browser, type Page } from '@playwright/test';
import { bodyContent, bodyText, expectBody, focusBody, seriousViolations, test } from './helpers';
import { setupAda, startAccounts } from './tandem';

// Each test starts a server and walks through several pages in debug builds.
test.describe.configure({ timeout: 90_000 });

/** Signs `name` in on the sign-in page of a fresh context; the page, on the workspace. */
async function signIn(browser: Browser, base: string, name: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/`);
  await expect(page).toHaveURL(/\/signin\?next=%2F$/);
  await expect(page.getByTestId('signin')).toHaveAttribute('data-state', 'ready');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Ready: hydrated, so "New document" acts.
  await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
  return page;
}

/** Waits until `page`'s body is read-only: not editable, and no formatting toolbar. */
async function expectReadOnly(page: Page) {
  await expect(bodyContent(page)).toHaveAttribute('contenteditable', 'false');
  await expect(page.getByTestId('toolbar')).toBeHidden();
}

/**
 * Types, formats, pastes and undoes in `page`'s read-only body; its text is
 * unchanged. (Whether nothing reached the others is seen when their next edit
 * arrives alone.)
 */
async function tryToEdit(page: Page) {
  const before = await bodyText(page);
  await bodyContent(page).click();
  await page.keyboard.type('not allowed');
  await page.keyboard.press('Control+B');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+z');
  await bodyContent(page).evaluate((el) => {
    const data = new DataTransfer();
    data.setData('text/plain', 'pasted');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  expect(await bodyText(page)).toBe(before);
}

/** Opens the Share dialog and waits until it shows the document's access. */
async function openShare(page: Page) {
  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  await expect(dialog.getByTestId('workspace-access')).toBeVisible();
  return dialog;
}

test('setup, sign-in, a view link for a guest, live edits, and revocation cut the guest off', async ({ browser }) => {
  const { child, base, setup } = await startAccounts();
  try {
    expect(setup).toMatch(/\/setup\?token=/);
    const admin = await (await browser.newContext()).newPage();
    // Before setup, the workspace sends a newcomer to sign in, which says where the setup link is.
    await admin.goto(`${base}/`);
    await expect(admin).toHaveURL(/\/signin\?next=%2F$/);
    await expect(admin.getByTestId('needs-setup')).toContainText('setup link');
    await admin.goto(setup);
    await expect(admin.getByRole('heading', { name: 'Create the first administrator' })).toBeVisible();
    await expect(admin.locator('form[data-state="ready"]')).toBeVisible();
    await admin.getByLabel('Username').fill('ada');
    await admin.getByLabel('Password', { exact: true }).fill('ada-long-password');
    await admin.getByLabel('Repeat password').fill('ada-long-password');
    await admin.getByRole('button', { name: 'Create administrator' }).click();
    await expect(admin.getByTestId('home')).toHaveAttribute('data-state', 'ready');
    await admin.getByTestId('account-menu').click();
    await admin.getByTestId('sign-out').click();
    await expect(admin).toHaveURL(/\/signin/);

    const ada = await signIn(browser, base, 'ada', 'ada-long-password');
    await ada.getByTestId('new-doc').click();
    await expect(ada.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
    await focusBody(ada);
    await ada.keyboard.type('Shared with a guest. ');
    await expect(ada.getByTestId('sync-status')).toHaveAttribute('data-state', 'saved');

    const dialog = await openShare(ada);
    await dialog.getByTestId('create-view-link').click();
    const link = await dialog.getByTestId('secret').inputValue();
    expect(link).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
    await ada.keyboard.press('Escape');

    // Someone without an account opens the link: read-only, and live.
    const guest = await (await browser.newContext()).newPage();
    await guest.goto(link);
    await expect(guest.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
    await expect(guest.getByTestId('view-only')).toBeVisible();
    await expectReadOnly(guest);
    await expectBody(guest, 'Shared with a guest. ');
    // What the guest types, pastes or undoes changes nothing, here or for others.
    await tryToEdit(guest);
    await focusBody(ada);
    await ada.keyboard.press('Control+End');
    await ada.keyboard.type('Live.');
    await expectBody(guest, 'Shared with a guest. Live.');
    await expectBody(ada, 'Shared with a guest. Live.');

    // Revoked: the guest's socket is closed within a second and stays closed.
    const share = await openShare(ada);
    const revokedAt = Date.now();
    await share.getByRole('button', { name: /^Revoke the can view link/ }).click();
    await expect(guest.getByTestId('connection-status')).toHaveAttribute('data-state', 'no-access', { timeout: 1_000 });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    await expect(guest.getByText('You no longer have access to this document')).toBeVisible();
    await guest.reload();
    await expect(guest.getByTestId('link-invalid')).toBeVisible();
  } finally {
    child.kill('SIGTERM');
  }
});

test("lowering a member's role turns their open editor read-only in place, and raising it writable again", async ({ browser }) => {
  const { child, base, setup } = await startAccounts();
  try {
    const cookie = await setupAda(base, setup);
    const bob = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ username: 'bob', password: 'bob-long-password', admin: false }),
    });
    expect(bob.status).toBe(201);

    const ada = await signIn(browser, base, 'ada', 'ada-long-password');
    await ada.getByTestId('new-doc').click();
    await expect(ada.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
    const path = new URL(ada.url()).pathname;
    const member = await signIn(browser, base, 'bob', 'bob-long-password');
    await member.goto(`${base}${path}`);
    await expect(member.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
    await expect(member.getByTestId('view-only')).toHaveCount(0);
    await expect(bodyContent(member)).toHaveAttribute('contenteditable', 'true');
    await expect(member.getByTestId('toolbar')).toBeVisible();
    await focusBody(member);
    await member.keyboard.type('bob writes. ');
    await expectBody(ada, 'bob writes. ');

    await (await openShare(ada)).getByTestId('workspace-access').selectOption('viewer');
    await expect(member.getByTestId('view-only')).toBeVisible({ timeout: 1_000 });
    await ada.keyboard.press('Escape');
    await expectReadOnly(member);
    await expect(member.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await tryToEdit(member);
    await focusBody(ada);
    await ada.keyboard.press('Control+End');
    await ada.keyboard.type('ada still writes. ');
    await expectBody(member, 'bob writes. ada still writes. ');
    await expectBody(ada, 'bob writes. ada still writes. ');

    await (await openShare(ada)).getByTestId('workspace-access').selectOption('editor');
    await expect(member.getByTestId('view-only')).toHaveCount(0, { timeout: 1_000 });
    await expect(bodyContent(member)).toHaveAttribute('contenteditable', 'true');
    await expect(member.getByTestId('toolbar')).toBeVisible();
    await focusBody(member);
    await member.keyboard.press('Control+End');
    await member.keyboard.type('bob again.');
    await expectBody(ada, 'bob writes. ada still writes. bob again.');
  } finally {
    child.kill('SIGTERM');
  }
});

for (const scheme of ['light', 'dark'] as const) {
  test(`the account pages, the Share dialog and a guest's view pass axe-core (${scheme})`, async ({ browser }) => {
    const { child, base, setup } = await startAccounts();
    try {
      const page = await (await browser.newContext({ colorScheme: scheme })).newPage();
      await page.goto(`${base}/signin`);
      await expect(page.getByTestId('signin')).toHaveAttribute('data-state', 'ready');
      expect(await seriousViolations(page), 'sign-in').toEqual([]);
      await page.goto(setup);
      await expect(page.locator('form[data-state="ready"]')).toBeVisible();
      expect(await seriousViolations(page), 'setup').toEqual([]);
      await page.getByLabel('Username').fill('ada');
      await page.getByLabel('Password', { exact: true }).fill('ada-long-password');
      await page.getByLabel('Repeat password').fill('ada-long-password');
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
      for (const path of ['/account', '/admin']) {
        await page.goto(`${base}${path}`);
        await expect(page.locator('main[data-state="ready"]')).toBeVisible();
        expect(await seriousViolations(page), path).toEqual([]);
      }
      await page.goto(`${base}/`);
      await expect(page.getByTestId('home')).toHaveAttribute('data-state', 'ready');
      await page.getByTestId('new-doc').click();
      await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
      const dialog = await openShare(page);
      await dialog.getByTestId('create-view-link').click();
      const link = await dialog.getByTestId('secret').inputValue();
      expect(await seriousViolations(page), 'share dialog').toEqual([]);
      const guest = await (await browser.newContext({ colorScheme: scheme })).newPage();
      await guest.goto(link);
      await expect(guest.getByTestId('view-only')).toBeVisible({ timeout: 20_000 });
      // The live page (the first paint, before the wasm, has a test of its own in a11y.spec.ts).
      await expect(guest.getByTestId('editor')).toHaveAttribute('data-synced', 'true', { timeout: 20_000 });
      expect(await seriousViolations(guest), 'guest').toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
  });
}

test('an invite link made on the Members page lets one person join, once', async ({ browser }) => {
  const { child, base, setup } = await startAccounts();
  try {
    await setupAda(base, setup);
    const ada = await signIn(browser, base, 'ada', 'ada-long-password');
    await ada.goto(`${base}/admin`);
    await expect(ada.locator('main[data-state="ready"]')).toBeVisible();
    await ada.getByTestId('create-invite').click();
    const invite = await ada.getByTestId('secret').inputValue();
    expect(invite).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    await expect(ada.getByTestId('invites').getByRole('row')).toHaveCount(2);

    const newcomer = await (await browser.newContext()).newPage();
    await newcomer.goto(invite);
    await expect(newcomer.locator('form[data-state="ready"]')).toBeVisible();
    await newcomer.getByLabel('Username').fill('dee');
    await newcomer.getByLabel('Password', { exact: true }).fill('dee-long-password');
    await newcomer.getByLabel('Repeat password').fill('dee-long-password');
    await newcomer.getByRole('button', { name: 'Create account' }).click();
    await expect(newcomer.getByTestId('home')).toHaveAttribute('data-state', 'ready');
    await expect(newcomer.getByTestId('account-menu')).toContainText('dee');

    // The link is used up.
    const late = await (await browser.newContext()).newPage();
    await late.goto(invite);
    await expect(late.locator('form[data-state="ready"]')).toBeVisible();
    await late.getByLabel('Username').fill('eve');
    await late.getByLabel('Password', { exact: true }).fill('eve-long-password');
    await late.getByLabel('Repeat password').fill('eve-long-password');
    await late.getByRole('button', { name: 'Create account' }).click();
    await expect(late.getByTestId('form-error')).toContainText('used already or has expired');
    await ada.reload();
    await expect(ada.getByTestId('members')).toContainText('dee');
  } finally {
    child.kill('SIGTERM');
  }
});
