// Servers of a test's own: the `tandem` binary (TANDEM_BIN, set by scripts/test)
// on a free port over a store in a temporary directory.
import { expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A fresh, empty data directory. */
export const freshDataDir = () => mkdtempSync(join(tmpdir(), 'tandem-e2e-'));

/** A running server and what it printed before it listened. */
export interface Started {
  child: ChildProcess;
  /** Everything it wrote to stdout until it listened (the setup link, in accounts mode). */
  output: string;
}

/** Starts `tandem` with `args` on `port` over `dir`; resolves once it listens. */
export function startTandem(port: number, dir: string, args: string[] = ['--open']): Promise<Started> {
  const bin = process.env.TANDEM_BIN;
  if (!bin) throw new Error('set TANDEM_BIN to the tandem binary (scripts/test does)');
  const child = spawn(bin, [...args, '--addr', `127.0.0.1:${port}`, '--data-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve({ child, output });
    });
    child.on('exit', (code) => reject(new Error(`tandem exited with ${code}`)));
  });
}

/** Stops a server with SIGTERM; resolves with its exit code. */
export function stopTandem(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** A server in accounts mode on a fresh store; its base URL and the setup link it printed. */
export async function startAccounts(): Promise<{ child: ChildProcess; base: string; setup: string }> {
  const port = await freePort();
  const { child, output } = await startTandem(port, freshDataDir(), []);
  const setup = output.match(/create the first administrator at (\S+)/)?.[1] ?? '';
  return { child, base: `http://127.0.0.1:${port}`, setup };
}

/** Makes `ada` the first administrator through the setup API; her session cookie. */
export async function setupAda(base: string, setup: string): Promise<string> {
  const token = new URL(setup).searchParams.get('token');
  const made = await fetch(`${base}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, username: 'ada', password: 'ada-long-password' }),
  });
  expect(made.status).toBe(201);
  return made.headers.get('set-cookie')!.split(';')[0];
}
