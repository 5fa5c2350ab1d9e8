import { chromium } from '@playwright/test';
const base = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu'] });
const page = await (await browser.newContext()).newPage();
page.on('console', m => console.log('console:', m.type(), m.text()));
page.on('pageerror', e => console.log('pageerror:', e.message));
await page.goto(`${base}/signin`);
await page.locator('[data-state=ready]').first().waitFor();
await page.getByLabel('Username').fill('ada');
await page.getByLabel('Password').fill('ada-long-password');
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByTestId('home').waitFor();
await page.getByTestId('new-doc').click();
await page.locator('[data-synced=true]').waitFor();
console.log(await page.evaluate(() => { const d = document.querySelector('dialog'); return [d.open, d.outerHTML.slice(0,200)]; }));
await page.evaluate(() => {
  for (const name of ['show', 'showModal', 'close']) {
    const orig = HTMLDialogElement.prototype[name];
    HTMLDialogElement.prototype[name] = function (...a) { console.log('dialog.' + name, new Error().stack.split('\n').slice(1,4).join('|')); return orig.apply(this, a); };
  }
  new MutationObserver((ms) => ms.forEach(m => console.log('attr', m.attributeName, m.target.open))).observe(document.querySelector('dialog'), { attributes: true });
});
await page.evaluate(() => { window.__d = document.querySelector('dialog'); new MutationObserver((ms) => ms.forEach(m => { for (const n of m.removedNodes) console.log('removed', n.nodeName, m.target.nodeName); for (const n of m.addedNodes) console.log('added', n.nodeName, m.target.nodeName); })).observe(document.body, { childList: true, subtree: true }); });
await page.getByTestId('share').click();
await page.waitForTimeout(500);
console.log('same', await page.evaluate(() => window.__d === document.querySelector('dialog') && window.__d.isConnected));
console.log(await page.evaluate(() => { const d = document.querySelector('dialog'); return [d.open, d.matches(':modal'), document.querySelectorAll('dialog').length]; }));
console.log(await page.evaluate(() => { const d = document.querySelector('dialog'); d.close(); try { d.showModal(); return ['ok', d.matches(':modal')]; } catch (e) { return ['err', e.message]; } }));
await browser.close();
