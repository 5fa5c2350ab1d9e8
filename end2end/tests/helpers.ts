// Shared by the specs: fresh document ids and opening an editor that is live.
import { expect, type Browser, type Page } from '@playwright/test';

/** A document id no other test uses. */
export const freshId = (prefix = 'e2e') =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Opens `path` (an editor page) in a new browser context and waits until it is connected and synced. */
export async function openEditor(browser: Browser, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(path);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('editor')).toHaveAttribute('data-synced', 'true');
  return page;
}
