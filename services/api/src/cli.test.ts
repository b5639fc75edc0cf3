import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { channelRoute, userRoute } from '@switchboard/bus';
import { switchboard } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { answeringService, type Harness, KEY, startHarness, text } from './testing/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function cli(argv: string[], key = KEY) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { SWITCHBOARD_API_URL: h.api.url, SWITCHBOARD_API_KEY: key },
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

describe('switchboard CLI', () => {
  it('publish sends the JSON to the channel', async () => {
    await h.edge.addInterest(channelRoute('news'));
    const run = await cli(['publish', '--channel', 'news', '{"x":1}']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ status: 'accepted' });
    const delivery = await h.edge.next((d) => d.channel === 'news');
    expect(delivery.publication?.type).toBe('message');
    expect(JSON.parse(text(delivery.publication?.payload))).toEqual({ x: 1 });
  });

  it('notify prints the push id', async () => {
    await h.edge.addInterest(userRoute('alice'));
    const run = await cli([
      'notify',
      '--user',
      'alice',
      '--type',
      'order.update',
      '--ack',
      '{"order":"o-1"}',
    ]);
    expect(run.code).toBe(0);
    const { id } = JSON.parse(run.stdout) as { id: string };
    const delivery = await h.edge.next((d) => d.user === 'alice');
    expect(delivery.push).toMatchObject({ id, type: 'order.update', requiresAck: true });
  });

  it('presence and history print the service answers', async () => {
    const presence = await answeringService(h.services, 'presence', () => ({
      presence: { channel: 'lobby', clients: [{ userId: 'alice', connectionId: 'edge-1.a' }] },
    }));
    const history = await answeringService(h.services, 'history', (inbound) => ({
      history: {
        channel: 'news',
        position: { offset: switchboard.v1.HistoryRequest.decode(inbound.payload).limit, epoch: 'e' },
      },
    }));
    const p = await cli(['presence', 'lobby']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).clients).toEqual([{ userId: 'alice', connectionId: 'edge-1.a' }]);
    const hist = await cli(['history', 'news', '--limit', '7']);
    expect(hist.code).toBe(0);
    expect(JSON.parse(hist.stdout).position).toEqual({ offset: 7, epoch: 'e' });
    await presence.consumer.close();
    await history.consumer.close();
  });

  it('fails with 1 and the API message on a 4xx', async () => {
    const unauthorized = await cli(['publish', '--channel', 'news', '{"x":1}'], 'wrong-key');
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stdout).toBe('');
    expect(unauthorized.stderr).toContain('401 SB_ERR_UNAUTHORIZED: a valid API key is required');
    const bad = await cli(['publish', '--channel', 'bad channel', '1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('400 SB_ERR_BAD_REQUEST: channel:');
  });

  it('usage errors exit 2 without calling the API', async () => {
    expect((await cli(['publish', '{"x":1}'])).code).toBe(2);
    expect((await cli(['publish', '--channel', 'news', 'not json'])).stderr).toContain(
      'data is not valid JSON',
    );
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('as a process: exit code 1 and the message on stderr for a bad key', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const script = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const child = spawn(process.execPath, [tsx, script, 'publish', '--channel', 'news', '{"x":1}'], {
      env: { ...process.env, SWITCHBOARD_API_URL: h.api.url, SWITCHBOARD_API_KEY: 'wrong-key' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('401 SB_ERR_UNAUTHORIZED');
  });
});
