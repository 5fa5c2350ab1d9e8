// Playwright global setup: wait until the server (started alongside Playwright) answers /healthz.
import type { FullConfig } from '@playwright/test';

export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseURL = config.projects[0]?.use.baseURL ?? 'http://127.0.0.1:3000';
  // Relative: the server may be behind a proxy's sub-path.
  const url = new URL('healthz', baseURL.endsWith('/') ? baseURL : `${baseURL}/`).toString();
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String((e as Error).cause ?? e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready at ${url} after 120 s (last: ${last})`);
}
