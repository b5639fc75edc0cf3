/**
 * The production topology (issue 6): docker-compose.yml is valid for both buses (Debian's `docker-compose
 * config`, v1), both nginx configs pass `nginx -t`, and `pnpm topology up` on a real RabbitMQ (a vhost of
 * its own) and Redis gives a working chat through nginx between clients on different edges; `down` then
 * leaves no process. Needs the Debian packages docker-compose and nginx(-light), and rabbitmq-server.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type Publication } from '../../packages/client/src/index.js';
import { sign } from '../../services/edge/src/testing/harness.js';
import { type RedisHandle, startRedis } from '../support/brokers.js';
import { groupMembers } from '../support/processes.js';
import { type RabbitHandle, startLocalRabbit } from '../support/rabbitmq.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const SECRETS = { SWITCHBOARD_JWT_SECRET: 'compose-test-secret-long-enough-for-hs256', API_KEYS: 'k1,k2' };

function compose(args: string[], env: Record<string, string> = {}) {
  const base = { ...process.env };
  for (const name of ['SWITCHBOARD_BUS', 'REDIS_URL', 'COMPOSE_PROFILES', 'LOG_LEVEL']) delete base[name];
  return run('docker-compose', ['-f', join(root, 'docker-compose.yml'), ...args], {
    env: { ...base, ...SECRETS, ...env },
  });
}

function topology(args: string[]) {
  return run(process.execPath, [join(root, 'scripts/topology.mjs'), ...args], {
    cwd: root,
    timeout: 150_000,
  });
}

/** Environment variable names a config file of ours reads. */
function knownVariables(): Set<string> {
  const sources = [
    ...['edge', 'history', 'chat', 'notifications', 'presence', 'api'].map(
      (s) => `services/${s}/src/config.ts`,
    ),
    'services/web/src/config.ts',
    // Settings every process shares (SWITCHBOARD_BUS, REDIS_URL, SWITCHBOARD_LOG_LEVEL…) are defined once here.
    'packages/runtime/src/config/settings.ts',
  ].map((file) => readFileSync(join(root, file), 'utf8'));
  const names = new Set<string>();
  for (const text of sources)
    for (const m of text.matchAll(/\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b/g)) names.add(m[1]!);
  return names;
}

describe('docker-compose.yml', () => {
  it('is valid with RabbitMQ (default) and uses only variables the processes read', async () => {
    const { stdout } = await compose(['config']);
    expect(stdout).toContain('SWITCHBOARD_BUS: amqp://guest:guest@rabbitmq:5672');
    expect(stdout).toContain('REDIS_URL: redis://redis:6379');
    const { stdout: services } = await compose(['config', '--services']);
    for (const name of [
      'rabbitmq',
      'kafka',
      'redis',
      'nginx',
      'edge-1',
      'edge-2',
      'history',
      'chat',
      'notifications',
      'presence',
      'api',
      'web',
    ])
      expect(services.split('\n')).toContain(name);
    const file = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const known = knownVariables();
    const used = new Set(
      [...file.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)]
        .map((m) => m[1]!)
        .filter((name) => !name.startsWith('KAFKA_')),
    );
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    // nginx routes to the edges the file defines, on the port they listen on.
    const nginx = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8');
    expect(nginx).toContain('server edge-1:8080');
    expect(nginx).toContain('server edge-2:8080');
  });

  it('is valid with Kafka (profile kafka)', async () => {
    const { stdout } = await compose(['config'], {
      SWITCHBOARD_BUS: 'kafka://kafka:9092',
      COMPOSE_PROFILES: 'kafka',
    });
    expect(stdout).toContain('SWITCHBOARD_BUS: kafka://kafka:9092');
    expect(stdout).not.toContain('SWITCHBOARD_BUS: amqp');
    expect(stdout).toContain('image: apache/kafka:4.1.1');
    expect(stdout).toMatch(/profiles:\s*\n\s*- kafka/);
  });

  it('refuses to start without the secrets', async () => {
    await expect(compose(['config'], { SWITCHBOARD_JWT_SECRET: '' })).rejects.toThrow(
      /SWITCHBOARD_JWT_SECRET/,
    );
  });
});

describe('nginx configs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the generated local config passes nginx -t', async () => {
    const { stdout } = await topology(['check', '--dir', dir]);
    expect(stdout).toMatch(/test is successful|ok/);
  });

  it('deploy/nginx.conf passes nginx -t (compose host names mapped to 127.0.0.1)', async () => {
    // /dev/stdout and /dev/stderr cannot be opened when they are pipes (as under vitest): use files.
    const text = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8')
      .replace(/\b(edge-\d+|api|web):(\d+)/g, '127.0.0.1:$2')
      .replaceAll('/dev/stdout', join(dir, 'access.log'))
      .replaceAll('/dev/stderr', join(dir, 'error.log'));
    const conf = join(dir, 'deploy-nginx.conf');
    writeFileSync(conf, text);
    const { stderr } = await run(NGINX, ['-t', '-p', dir, '-c', conf, '-e', join(dir, 'error.log')]);
    expect(stderr).toContain('test is successful');
  });

  it('both configs carry the same proxy settings', () => {
    const deploy = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8');
    const local = readFileSync(join(root, 'deploy/nginx.local.conf.template'), 'utf8');
    const directives = (text: string) =>
      text
        .split('\n')
        .map((line) => line.replace(/#.*/, '').trim())
        .filter((line) => /^(proxy_|map |least_conn|location|keepalive)/.test(line))
        .filter((line) => !line.includes('_temp_path'));
    expect(directives(local)).toEqual(directives(deploy));
    expect(deploy).toContain('map $http_upgrade $connection_upgrade');
    expect(deploy).toMatch(/proxy_read_timeout 75s/);
    expect(deploy).toMatch(/max_fails=2 fail_timeout=10s/);
  });
});

describe('pnpm topology up|status|down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-topology-'));
  const vhost = `sb-topology-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  let rabbit: RabbitHandle | undefined;
  let redis: RedisHandle | undefined;
  let pids: number[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    rabbit = await startLocalRabbit();
    redis = await startRedis();
    await run('rabbitmqctl', ['-q', 'add_vhost', vhost]);
    await run('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    // Whatever happened above: nothing of ours stays behind.
    await topology(['down', '--dir', dir]).catch(() => undefined);
    for (const pid of groupMembers(pids)) process.kill(pid, 'SIGKILL');
    await run('rabbitmqctl', ['-q', 'delete_vhost', vhost]).catch(() => undefined);
    await redis?.stop();
    await rabbit?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the memory bus', async () => {
    await expect(topology(['up', '--dir', dir, '--bus', 'memory'])).rejects.toThrow(
      /cannot connect separate processes/,
    );
  });

  it('runs a working chat through nginx across two edges, and down leaves no process', async () => {
    const amqp = new URL(rabbit!.url);
    amqp.pathname = `/${vhost}`;
    const { stdout } = await topology([
      'up',
      '--dir',
      dir,
      '--port',
      '0',
      '--bus',
      amqp.toString(),
      '--redis',
      redis!.url,
      '--jwt-secret',
      secret,
      '--log-level',
      'warn',
    ]);
    expect(stdout).toContain('topology is up');
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
      port: number;
      processes: { name: string; pid: number }[];
    };
    pids = state.processes.map((p) => p.pid);
    expect(state.processes.map((p) => p.name).sort()).toEqual(
      ['api', 'chat', 'edge-1', 'edge-2', 'history', 'nginx', 'notifications', 'presence', 'web'].sort(),
    );
    const status = JSON.parse((await topology(['status', '--dir', dir, '--json'])).stdout) as {
      healthy: boolean;
    };
    expect(status.healthy).toBe(true);

    // The page and the API answer through nginx.
    const base = `http://127.0.0.1:${state.port}`;
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(await (await fetch(`${base}/config.json`)).json()).toEqual({ wsUrl: '/ws', apiBase: '/api' });
    expect((await fetch(`${base}/v1/openapi.json`)).status).toBe(200);
    // The API's operator page too (its assets with it); a path that only starts like it stays the web's.
    const admin = await fetch(`${base}/admin`);
    expect(admin.status).toBe(200);
    expect(admin.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await admin.text()).toContain('<script src="/admin/admin.js" defer></script>');
    const adminScript = await fetch(`${base}/admin/admin.js`);
    expect(adminScript.status).toBe(200);
    expect(adminScript.headers.get('content-type')).toContain('text/javascript');
    // The API would answer {error: {code: 'SB_ERR_NOT_FOUND', …}}; the web answers its own 404.
    const lookalike = await fetch(`${base}/administration`);
    expect(lookalike.status).toBe(404);
    expect(await lookalike.json()).toEqual({ error: 'not found' });

    // Two users, each on another edge.
    const url = `ws://127.0.0.1:${state.port}/ws`;
    const connect = async (user: string) => {
      const client = new Client(url, { token: await sign({ sub: user }, { secret, expiresIn: '1h' }) });
      clients.push(client);
      client.connect();
      await client.ready(15_000);
      return client;
    };
    const alice = await connect('alice');
    let bob = await connect('bob');
    for (let i = 0; i < 10 && bob.connection?.nodeId === alice.connection?.nodeId; i++) {
      bob.disconnect();
      bob = await connect('bob');
    }
    expect(new Set([alice.connection?.nodeId, bob.connection?.nodeId])).toEqual(
      new Set(['edge-1', 'edge-2']),
    );

    const room = `topo-${randomBytes(4).toString('hex')}`;
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const parse = (bytes: Uint8Array) =>
      JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    for (const client of [alice, bob]) {
      const reply = await client.request('chat', 'chat.join', json({ room }), { timeoutMs: 15_000 });
      expect(reply.type).toBe('chat.joined');
    }
    const sub = bob.subscribe(`chat:${room}`);
    if (sub.state !== 'subscribed')
      await new Promise<void>((resolve) => sub.once('subscribed', () => resolve()));
    const received = new Promise<Publication>((resolve) =>
      sub.on('publication', (p) => {
        if (p.type === 'chat.message') resolve(p);
      }),
    );
    const sent = await alice.request('chat', 'chat.send', json({ room, text: 'hello over nginx' }), {
      timeoutMs: 15_000,
    });
    expect(sent.type).toBe('chat.sent');
    const message = await received;
    expect(parse(message.payload)).toMatchObject({ room, text: 'hello over nginx', user: 'alice' });
    expect(message.offset).toBeGreaterThan(0);

    for (const client of clients) client.disconnect();
    const { stdout: downOut } = await topology(['down', '--dir', dir]);
    expect(downOut).toContain('topology stopped');
    expect(groupMembers(pids)).toEqual([]);
    // (A pid may linger as a zombie until this machine's init reaps it: groupMembers skips zombies.)
    const after = await topology(['status', '--dir', dir]).catch((error: { stdout?: string }) => error);
    expect(String((after as { stdout?: string }).stdout)).toContain('no topology running');
  });
});
