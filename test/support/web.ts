// The built console (adapter-node) on an ephemeral port, pointed at a test stack's API; and Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { repoRoot } from './paths.ts';
import { PASSWORD } from './scenario.ts';
import { waitFor, type Stack } from './stack.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startConsole(apiUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const entry = join(repoRoot, 'web', 'build', 'index.js');
  if (!existsSync(entry)) throw new Error('the console is not built: run `pnpm --filter @suture/web build` (scripts/setup.sh does)');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: url, API_URL: apiUrl, BODY_SIZE_LIMIT: '6M' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor('console listening', async () => (await fetch(`${url}/login`)).ok, 60_000);
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
}

/**
 * Headless Chromium. `webgl: true` (the volume editor's NiiVue needs WebGL2) renders through ANGLE on
 * SwiftShader, the CPU Vulkan driver Chromium ships: without a GPU, newer Chromium gives WebGL only with
 * --enable-unsafe-swiftshader.
 */
export function launchChromium(options: { webgl?: boolean } = {}): Promise<Browser> {
  const graphics = options.webgl ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] : ['--disable-gpu'];
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', ...graphics, '--disable-background-networking', '--disable-quic'],
  });
}

/** Opens a console path and waits until the page is hydrated (its buttons work). */
export async function openPage(page: Page, webUrl: string, path: string): Promise<void> {
  await page.goto(`${webUrl}${path}`);
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
}

/** Signs a person in through the console's login form in a fresh browser context; resolves on the page after it. */
export async function signInAs(browser: Browser, webUrl: string, person: { email: string }, options: BrowserContextOptions & { label?: string } = {}): Promise<Page> {
  const { label, ...contextOptions } = options;
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  if (label) page.on('pageerror', (error) => console.error(`[${label} page]`, error));
  await page.goto(`${webUrl}/login`);
  await page.getByTestId('login-email').fill(person.email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return page;
}

/** The browser PUTs upload parts to storage and reads derivatives straight from it: S3 CORS, as in production. */
export async function allowBrowserStorage(stack: Stack): Promise<void> {
  await stack.s3.client.send(
    new PutBucketCorsCommand({
      Bucket: stack.s3.bucket,
      CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'PUT', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] }] },
    }),
  );
}
