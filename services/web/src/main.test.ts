/**
 * The web process (tsx src/main.ts) as the production topology runs it: demo-only routes only in demo mode,
 * and `POST /api/orders` passing on the caller's own Authorization — never a key of the server's. The API
 * is stood in for by a server that records what it was sent and answers like the API with API_KEYS set.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const SECRET = 'a-secret-that-is-at-least-32-characters-long';
const CALLER_KEY = 'caller-key';

describe('web main', () => {
  const children: ChildProcess[] = [];
  let api: Server | undefined;
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
    api = undefined;
  });

  /** A stand-in API: records each request's headers; 202 for the caller's key, 401 otherwise. */
  async function startApi(seen: IncomingHttpHeaders[]): Promise<string> {
    api = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      const ok = req.headers.authorization === `Bearer ${CALLER_KEY}`;
      res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { eventId: 'e1' } : { error: 'missing or unknown API key' }));
    });
    await new Promise<void>((resolve) => api!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  }

  /** Starts the web process; resolves with its base URL and everything it printed so far. */
  async function startWeb(env: Record<string, string>) {
    const child = spawn(`${ROOT}node_modules/.bin/tsx`, [MAIN], {
      cwd: ROOT,
      env: { ...process.env, WEB_HOST: '127.0.0.1', WEB_HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const output: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          output.push(line);
          const parsed = JSON.parse(line) as { msg?: string; port?: number };
          if (parsed.msg === 'web started') resolve(parsed.port!);
        }
      });
      child.once('exit', (code) => reject(new Error(`web exited with ${code}: ${output.join('\n')}`)));
    });
    return { base: `http://127.0.0.1:${port}`, output };
  }

  const order = (base: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ userId: 'zoe', orderId: 'o-1', kind: 'paid' }),
    });

  it('outside demo mode serves no /api/orders, /dev/token or source map, even with WEB_API_URL', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const { base } = await startWeb({ WEB_API_URL: await startApi(seen) });
    expect((await order(base, { authorization: `Bearer ${CALLER_KEY}` })).status).toBe(404);
    expect((await fetch(`${base}/dev/token?user=zoe`)).status).toBe(404);
    expect((await fetch(`${base}/app.js.map`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(seen).toEqual([]);
  });

  it("in demo mode forwards orders with the caller's key only, and ignores WEB_API_KEY with a warning", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const { base, output } = await startWeb({
      WEB_API_URL: await startApi(seen),
      WEB_API_KEY: 'the-servers-own-key',
      WEB_DEV_TOKENS: 'true',
      SWITCHBOARD_JWT_SECRET: SECRET,
    });
    expect(output.some((line) => line.includes('WEB_API_KEY is no longer used'))).toBe(true);

    expect((await order(base)).status).toBe(401);
    expect(seen[0]?.authorization).toBeUndefined();
    expect((await order(base, { authorization: `Bearer ${CALLER_KEY}` })).status).toBe(202);
    expect(seen[1]?.authorization).toBe(`Bearer ${CALLER_KEY}`);
    expect((await fetch(`${base}/app.js.map`)).status).toBe(200);
  });
});
