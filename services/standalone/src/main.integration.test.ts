/**
 * The all-in-one as `pnpm start` runs it: a child process (tsx src/main.ts) on free ports, serving the demo
 * and the edge on one loopback port (no SWITCHBOARD_HOST: the default), warning about a misspelt setting,
 * and exiting 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('standalone main', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('prints its URL, serves the demo, tokens and health on one loopback port, and exits 0 on SIGTERM', async () => {
    const proc = spawn(`${ROOT}node_modules/.bin/tsx`, [MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        SWITCHBOARD_BUS: 'memory',
        SWITCHBOARD_PORT: '0',
        SWITCHBOARD_HOST: '',
        SWITCHBOARD_EDGE_HOST: '',
        API_HTTP_PORT: '0',
        SWITCHBOARD_MAX_SUBSCRIPTON: '4',
        SWITCHBOARD_PRETTY_LOGS: 'false',
        REDIS_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const line = await new Promise<{ url: string; msg: string }>((resolve, reject) => {
      let buffered = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        output += chunk.toString();
        for (const text of buffered.split('\n')) {
          if (!text.includes('Switchboard is running')) continue;
          resolve(JSON.parse(text) as { url: string; msg: string });
        }
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code} before starting:\n${output}`)));
    });
    expect(line.msg).toBe(
      `Switchboard is running: ${line.url}  (demo tokens: ${line.url}/dev/token?user=alice)`,
    );
    const base = line.url;
    const started = output.split('\n').find((text) => text.includes('"switchboard started"'));
    expect(JSON.parse(started!)).toMatchObject({ host: '127.0.0.1', demo: true });
    const warning = output.split('\n').find((text) => text.includes('SWITCHBOARD_MAX_SUBSCRIPTON '));
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      msg: 'SWITCHBOARD_MAX_SUBSCRIPTON is not a setting of the all-in-one (pnpm start) and is ignored; did you mean SWITCHBOARD_MAX_SUBSCRIPTIONS?',
    });

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
    const app = await fetch(`${base}/app.js`);
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toMatch(/javascript/);
    expect(await (await fetch(`${base}/config.json`)).json()).toEqual({ wsUrl: '/ws', apiBase: '' });
    const token = (await (await fetch(`${base}/dev/token?user=a`)).json()) as { token: string };
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString()) as {
      sub: string;
    };
    expect(claims.sub).toBe('a');
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/stats.json`)).json()).toMatchObject({ connections: 0 });
    const order = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'a', orderId: 'o-1', kind: 'paid' }),
    });
    expect(order.status).toBe(202);

    proc.kill('SIGTERM');
    const [code] = await once(proc, 'exit');
    expect(code, output).toBe(0);
  });
});
