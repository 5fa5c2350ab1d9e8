// Playwright config: Debian's /usr/bin/chromium against an already-running Tandem server (TANDEM_URL).
import { defineConfig, devices } from '@playwright/test';

const baseURL = process.env.TANDEM_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  reporter: 'list',
  workers: 1,
  retries: 0,
  // Waits end as soon as their condition holds; the limit only bounds a
  // failure, and debug builds on a loaded two-core machine are slow.
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'off',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
