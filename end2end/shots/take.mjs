// Takes the screenshots from a running Tandem (best a fresh one): the workspace,
// and one document open in two windows with carets, a selection and the
// preview; each in light and dark, on a desktop and a phone. Then, on a
// desktop in light and dark, the History dialog comparing a named version with
// the current text, and the trash. The README shows the desktop ones
// (editor.png, workspace.png, history.png, trash.png and their -dark twins).
//
//   node shots/take.mjs [--url http://127.0.0.1:3000]
import { chromium } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const i = process.argv.indexOf('--url');
const url = i > 0 ? process.argv[i + 1] : process.env.TANDEM_URL ?? 'http://127.0.0.1:3000';
const here = dirname(fileURLToPath(import.meta.url));

const body = `# Launch checklist

We ship **Friday**. Everyone edits this page at once; nothing is lost.

## Before

- [x] Freeze the API
- [ ] Write the release notes
- [ ] Check the \`backup\` job ran tonight

## Notes

> Keep it small. Keep it fast.

See the [runbook](https://example.org/runbook) for the rollback steps.
`;

const VARIANTS = [
  { suffix: '', colorScheme: 'light', viewport: { width: 1280, height: 760 } },
  { suffix: '-dark', colorScheme: 'dark', viewport: { width: 1280, height: 760 } },
  { suffix: '-phone', colorScheme: 'light', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  { suffix: '-phone-dark', colorScheme: 'dark', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
const person = async (name, color, variant = VARIANTS[0]) => {
  const { suffix, ...options } = variant;
  const context = await browser.newContext({ ...options, deviceScaleFactor: 1 });
  await context.addInitScript(([n, c]) => localStorage.setItem('tandem.user', JSON.stringify({ name: n, color: c })), [name, color]);
  return context.newPage();
};
const synced = (page) => page.getByTestId('editor').and(page.locator('[data-synced=true]')).waitFor();
const at = (text) => body.indexOf(text);
/** The body's editable element (CodeMirror's content). */
const content = (page) => page.locator('[data-testid=editor] .cm-content');
/** Puts `page`'s caret (or selection) at `from`..`to` of the body, through the surface's hook. */
const select = async (page, from, to = from) => {
  await content(page).focus();
  await page.getByTestId('editor').evaluate((el, [a, b]) => el.surface.select(a, b), [from, to]);
};
/** Replaces the whole body with `text` in one input (no list continuation, as a paste). */
const fill = async (page, text) => {
  await content(page).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
};

// Two more documents for the list: one titled, one known by its first line.
await fetch(`${url}/api/docs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Team offsite agenda"}' });
const writer = await person('Ada', '#2f6fde');
await writer.goto(`${url}/d/ideas-${Date.now().toString(36)}`);
await synced(writer);
await fill(writer, 'Ideas for the next release\n\n- comments in the margin\n');
await writer.getByTestId('sync-status').and(writer.locator('[data-state=saved]')).waitFor();
await writer.context().close();

const ada = await person('Ada', '#2f6fde');
await ada.goto(`${url}/`);
await ada.getByTestId('new-doc').click();
await ada.waitForURL(/\/d\//);
const doc = ada.url();
await synced(ada);
await ada.getByTestId('doc-title').fill('Launch checklist');
await fill(ada, body);
await ada.getByTestId('sync-status').and(ada.locator('[data-state=saved]')).waitFor();
await ada.context().close();
const grace = await person('Grace', '#c2255c');
await grace.goto(doc);
await synced(grace);
// Grace selects "Write the release notes"; Ada's caret sits in the notes.
await select(grace, at('Write'), at('Write') + 'Write the release notes'.length);

const written = [];
for (const variant of VARIANTS) {
  const page = await person('Ada', '#2f6fde', variant);
  await page.goto(doc);
  await synced(page);
  await select(page, at('Keep it fast'));
  await page.locator('.modes button[data-mode=split]').click();
  await page.locator('.caret[data-name=Grace]').waitFor();
  await page.getByTestId('connection-status').and(page.locator('[data-state=connected]')).waitFor();
  await page.screenshot({ path: join(here, `editor${variant.suffix}.png`) });
  await page.goto(`${url}/`);
  await page.getByTestId('home').and(page.locator('[data-state=ready]')).waitFor();
  await page.getByText('Launch checklist').first().waitFor();
  await page.screenshot({ path: join(here, `workspace${variant.suffix}.png`) });
  written.push(`editor${variant.suffix}.png`, `workspace${variant.suffix}.png`);
  await page.context().close();
}
// Grace names the state, then changes the plan; Ada compares and sees it.
await grace.getByTestId('history').click();
const form = grace.getByTestId('history-panel').getByTestId('name-version');
await form.getByRole('textbox').fill('Before the review');
await form.getByRole('textbox').press('Enter');
await grace.getByTestId('versions').getByText('Before the review').waitFor();
await grace.keyboard.press('Escape');
await select(grace, at('Friday'), at('Friday') + 'Friday'.length);
await grace.keyboard.type('Monday');
await select(grace, at('- [ ] Check'));
await grace.keyboard.insertText('- [x] Book the room\n');
await grace.getByTestId('sync-status').and(grace.locator('[data-state=saved]')).waitFor();

// A document deleted by mistake, waiting in the trash.
const gone = await person('Ada', '#2f6fde');
await gone.goto(`${url}/d/draft-${Date.now().toString(36)}`);
await synced(gone);
await gone.getByTestId('doc-title').fill('Old draft (deleted by mistake)');
await gone.getByTestId('sync-status').and(gone.locator('[data-state=saved]')).waitFor();
gone.on('dialog', (d) => d.accept());
await gone.getByTestId('doc-menu').click();
await gone.getByTestId('delete-doc').click();
await gone.waitForURL(`${url}/`);
await gone.context().close();

for (const variant of VARIANTS.filter((v) => !v.isMobile)) {
  const page = await person('Ada', '#2f6fde', variant);
  await page.goto(doc);
  await synced(page);
  await page.getByTestId('history').click();
  await page.getByTestId('versions').getByText('Before the review').click();
  await page.getByTestId('version-diff').getByText('Monday').waitFor();
  await page.screenshot({ path: join(here, `history${variant.suffix}.png`) });
  await page.goto(`${url}/trash`);
  await page.getByTestId('trash-list').getByText('Old draft').waitFor();
  await page.screenshot({ path: join(here, `trash${variant.suffix}.png`) });
  written.push(`history${variant.suffix}.png`, `trash${variant.suffix}.png`);
  await page.context().close();
}
await browser.close();
console.log('wrote', written.map((f) => join(here, f)).join(' '));
