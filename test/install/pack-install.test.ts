/**
 * Proof that Switchboard installs like the tools users already use (issue 19): the publishable packages,
 * packed and installed with plain npm into a project outside the workspace, work together — the server's
 * `switchboard start` from its tarball, (a) a Node script that publishes with @switchboard/publisher and
 * receives with @switchboard/client on both subprotocols, (b) the client bundled with esbuild and run in
 * Chromium. No workspace link, no TypeScript runner: only node and what npm installed.
 *
 * The all-in-one runs on a Redis bus, not the in-process one: the publisher is another process and reaches
 * the server only through a broker, as a user's backend would.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../e2e/browser.js';
import { type RedisHandle, startRedis } from '../support/brokers.js';
import { sleep } from '../support/wait.js';
import { createScratchProject, type ScratchProject } from './scratch-project.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const TIER_COMMANDS = ['start', 'edge', 'chat', 'history', 'presence', 'notifications', 'api', 'web'];

/** Runs the installed `switchboard` command to its end; resolves with its exit code and output. */
function runBin(
  bin: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function waitForHealthy(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`switchboard start exited ${server.exitCode}:\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`switchboard start did not answer ${url} in 30 s:\n${output()}`);
}

describe('installed from the tarballs with npm', () => {
  let project: ScratchProject;
  let redis: RedisHandle;
  let server: ChildProcess;
  let log = '';
  let httpUrl: string;
  let wsUrl: string;
  let busUrl: string;
  const channel = `install-${process.pid}-${Date.now()}`;

  /** A failure of a step names the server's state and output too: most failures start there. */
  const withServerLog = <T>(step: Promise<T>): Promise<T> =>
    step.catch((error: Error) => {
      const state = server.exitCode === null ? 'running' : `exited ${server.exitCode} (${server.signalCode})`;
      throw new Error(`${error.message}\nswitchboard start is ${state}; its output:\n${log}`);
    });

  beforeAll(async () => {
    [project, redis] = await Promise.all([createScratchProject(), startRedis()]);
    busUrl = redis.url;
    const [port, apiPort, internalPort] = [await freePort(), await freePort(), await freePort()];
    httpUrl = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/ws`;
    server = spawn(join(project.dir, 'node_modules/.bin/switchboard'), ['start'], {
      cwd: project.dir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SWITCHBOARD_BUS: busUrl,
        SWITCHBOARD_HOST: '127.0.0.1',
        SWITCHBOARD_PORT: String(port),
        API_HTTP_PORT: String(apiPort),
        SWITCHBOARD_INTERNAL_PORT: String(internalPort),
        SWITCHBOARD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk) => (log += chunk));
    server.stderr?.on('data', (chunk) => (log += chunk));
    await waitForHealthy(`http://127.0.0.1:${internalPort}/healthz`, server, () => log);
  }, 280_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await redis?.stop();
    project?.remove();
  }, 60_000);

  it('has no workspace link: every @switchboard package is a copy from its tarball', () => {
    for (const name of ['client', 'publisher', 'protocol', 'server']) {
      const manifest = JSON.parse(
        readFileSync(join(project.dir, 'node_modules/@switchboard', name, 'package.json'), 'utf8'),
      );
      const installed = join(project.dir, 'node_modules/@switchboard', name);
      expect(lstatSync(installed).isSymbolicLink(), installed).toBe(false);
      expect(manifest.name).toBe(`@switchboard/${name}`);
      // Published manifests point at dist/ and name versions, not the workspace's sources and links.
      expect(JSON.stringify(manifest)).not.toMatch(/workspace:|"\.\/src\//);
    }
  });

  it('`switchboard --help` lists every command, and each says what it starts and reads', async () => {
    const bin = join(project.dir, 'node_modules/.bin/switchboard');
    const help = await runBin(bin, ['--help']);
    expect(help.code).toBe(0);
    for (const command of TIER_COMMANDS) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      const tierHelp = await runBin(bin, [command, '--help']);
      expect(tierHelp.code, `${command} --help`).toBe(0);
      expect(tierHelp.stdout).toMatch(new RegExp(`^switchboard ${command}: `));
      expect(tierHelp.stdout).toMatch(/SWITCHBOARD_|WEB_/);
    }
    const unknown = await runBin(bin, ['nonsense']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nonsense"');
  });

  it('`switchboard edge` and `switchboard web` each start alone and answer /healthz', async () => {
    const bin = join(project.dir, 'node_modules/.bin/switchboard');
    for (const [command, portVariable] of [
      ['edge', 'SWITCHBOARD_EDGE_PORT'],
      ['web', 'WEB_HTTP_PORT'],
    ] as const) {
      const port = await freePort();
      const tier = spawn(bin, [command], {
        cwd: project.dir,
        env: {
          PATH: process.env.PATH,
          SWITCHBOARD_BUS: busUrl,
          SWITCHBOARD_JWT_SECRET: 'install-test-secret-of-at-least-32-characters',
          SWITCHBOARD_HOST: '127.0.0.1',
          WEB_HOST: '127.0.0.1',
          [portVariable]: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      tier.stdout?.on('data', (chunk) => (output += chunk));
      tier.stderr?.on('data', (chunk) => (output += chunk));
      try {
        await waitForHealthy(`http://127.0.0.1:${port}/healthz`, tier, () => output);
      } finally {
        const exited = new Promise((resolve) => tier.once('exit', resolve));
        tier.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('(a) a Node script publishes with the publisher and receives with the client (both subprotocols)', async () => {
    const payload = JSON.stringify({ hello: 'wörld ✓', n: 42 });
    const stdout = await withServerLog(
      project.node('roundtrip.mjs', [
        wsUrl,
        `${httpUrl}/dev/token?user=alice`,
        busUrl,
        `${channel}-node`,
        payload,
      ]),
    );
    const received = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(received).toEqual({
      protobuf: { type: 'install.check', payload },
      json: { type: 'install.check', payload },
    });
  });

  it('(b) the client bundled with esbuild receives a publication in Chromium (both subprotocols)', async () => {
    await project.node('bundle.mjs', []);
    const bundle = readFileSync(join(project.dir, 'browser-bundle.js'), 'utf8');
    const token = ((await (await fetch(`${httpUrl}/dev/token?user=bob`)).json()) as { token: string }).token;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // A page of the server's own origin, so that the edge's origin check sees a page it serves.
      await withServerLog(page.goto(`${httpUrl}/healthz`));
      await page.evaluate(
        (config) => {
          (window as unknown as { __installTest: unknown }).__installTest = config;
        },
        { wsUrl, token, channel: `${channel}-browser` },
      );
      await page.addScriptTag({ content: bundle, type: 'module' });
      await page.waitForFunction(
        () =>
          (window as unknown as { __installResult?: { subscribed: number } }).__installResult?.subscribed ===
          2,
        undefined,
        { timeout: 20_000 },
      );
      const payload = 'from a backend, through the bus, to a browser ✓';
      await withServerLog(project.node('publish.mjs', [busUrl, `${channel}-browser`, payload]));
      const handle = await page.waitForFunction(
        () => {
          const result = (window as unknown as { __installResult: { received: Record<string, unknown> } })
            .__installResult;
          return Object.keys(result.received).length === 2 ? result.received : undefined;
        },
        undefined,
        { timeout: 20_000 },
      );
      expect(await handle.jsonValue()).toEqual({
        protobuf: { type: 'install.check', payload },
        json: { type: 'install.check', payload },
      });
    } finally {
      await browser.close();
    }
  });
});
