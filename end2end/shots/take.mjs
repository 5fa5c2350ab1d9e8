// Takes the README's screenshots from a running Tandem: the workspace, and one
// document open in two windows with carets, a selection and the preview.
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

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });
const person = async (name, color) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  await context.addInitScript(([n, c]) => localStorage.setItem('tandem.user', JSON.stringify({ name: n, color: c })), [name, color]);
  return context.newPage();
};
const ada = await person('Ada', '#2f6fde');
await ada.goto(`${url}/`);
await ada.getByTestId('new-doc').click();
await ada.waitForURL(/\/d\//);
const doc = ada.url();
await ada.getByTestId('editor').and(ada.locator('[data-synced=true]')).waitFor();
await ada.getByTestId('doc-title').fill('Launch checklist');
await ada.getByTestId('editor').click();
await ada.getByTestId('editor').evaluate((el, text) => {
  el.value = text;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}, body);
const grace = await person('Grace', '#c2255c');
await grace.goto(doc);
await grace.getByTestId('editor').and(grace.locator('[data-synced=true]')).waitFor();
// Grace selects "Write the release notes"; Ada's caret sits in the notes.
const at = (text) => body.indexOf(text);
await grace.getByTestId('editor').evaluate((el, [a, b]) => { el.focus(); el.setSelectionRange(a, b); }, [at('Write'), at('Write') + 'Write the release notes'.length]);
await grace.keyboard.press('Shift+ArrowRight');
await grace.keyboard.press('Shift+ArrowLeft');
await ada.getByTestId('editor').evaluate((el, a) => { el.focus(); el.setSelectionRange(a, a); }, at('Keep it fast'));
await ada.keyboard.press('ArrowRight');
await ada.keyboard.press('ArrowLeft');
await ada.locator('.modes button[data-mode=split]').click();
await ada.locator('.caret[data-name=Grace]').waitFor();
await ada.getByTestId('sync-status').and(ada.locator('[data-state=saved]')).waitFor();
await ada.screenshot({ path: join(here, 'editor.png') });

const list = await person('Ada', '#2f6fde');
await list.goto(`${url}/`);
await list.getByText('Launch checklist').first().waitFor();
await list.screenshot({ path: join(here, 'workspace.png') });
await browser.close();
console.log('wrote', join(here, 'editor.png'), 'and', join(here, 'workspace.png'));
