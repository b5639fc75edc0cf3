import { ErrorCodes, PresenceTypes, switchboard } from '@switchboard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_CSP } from './admin-page.js';
import { ADMIN_SCRIPT } from './admin-script.js';
import { answeringService, type Harness, KEY, startHarness } from './testing/harness.js';

const v1 = switchboard.v1;
let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const nodesReply = (nodes: switchboard.v1.INodeStatus[]) => ({
  reply: {
    type: PresenceTypes.nodes,
    payload: v1.NodesResult.encode({ nodes }).finish(),
  },
});

/** Two live edges sharing the channel `sport`: what presence reports, and what the API passes on as is. */
const twoNodes = () => [
  {
    nodeId: 'edge-a',
    connections: 3,
    startedAtMs: 100,
    leaseMs: 15_000,
    lastHeartbeatMs: 200,
    busiestChannels: [
      { channel: 'news', subscribers: 2 },
      { channel: 'sport', subscribers: 1 },
    ],
  },
  {
    nodeId: 'edge-b',
    connections: 1,
    startedAtMs: 150,
    leaseMs: 15_000,
    lastHeartbeatMs: 250,
    busiestChannels: [{ channel: 'sport', subscribers: 1 }],
  },
];

describe('GET /v1/admin/nodes', () => {
  it('relays the presence service node list and sums the busiest channels across nodes', async () => {
    const service = await answeringService(h.services, 'presence', () => nodesReply(twoNodes()));
    const answer = await h.call('GET', '/v1/admin/nodes');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      nodes: twoNodes(),
      connections: 4,
      busiestChannels: [
        { channel: 'news', subscribers: 2, nodes: 1 },
        { channel: 'sport', subscribers: 2, nodes: 2 },
      ],
    });
    const [inbound] = service.received;
    expect(inbound).toMatchObject({ service: 'presence', type: PresenceTypes.nodes });
    expect(inbound?.connectionId.startsWith(`${h.api.nodeId}.`)).toBe(true);
    await service.consumer.close();
  });

  it('answers an empty list when no node is alive', async () => {
    const service = await answeringService(h.services, 'presence', () => nodesReply([]));
    const answer = await h.call('GET', '/v1/admin/nodes');
    expect(answer.body).toEqual({ nodes: [], connections: 0, busiestChannels: [] });
    await service.consumer.close();
  });

  it('needs an API key', async () => {
    const answer = await h.call('GET', '/v1/admin/nodes', undefined, {});
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('SB_ERR_UNAUTHORIZED');
  });

  it('502 when presence refuses the query or answers something else', async () => {
    const refusing = await answeringService(h.services, 'presence', () => ({
      reply: { type: PresenceTypes.nodes, error: { code: ErrorCodes.NotCallable.wire, message: 'no' } },
    }));
    const refused = await h.call('GET', '/v1/admin/nodes');
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe(ErrorCodes.ServiceError.code);
    await refusing.consumer.close();
    const confused = await answeringService(h.services, 'presence', () => ({
      presence: { channel: 'x', clients: [] },
    }));
    const wrong = await h.call('GET', '/v1/admin/nodes');
    expect(wrong.status).toBe(502);
    expect(wrong.body.error.message).toContain('presence.nodes');
    await confused.consumer.close();
  });
});

describe('GET /admin', () => {
  const get = (path: string, init: RequestInit = {}) => fetch(`${h.api.url}${path}`, init);

  it('serves the page, its script and style without a key, under a strict CSP', async () => {
    for (const [path, type] of [
      ['/admin', 'text/html'],
      ['/admin/', 'text/html'],
      ['/admin/admin.js', 'text/javascript'],
      ['/admin/admin.css', 'text/css'],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('content-security-policy')).toBe(ADMIN_CSP);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = await response.text();
      expect(body).not.toContain(KEY); // no secret is ever baked into the page
    }
    expect(ADMIN_CSP).toContain("script-src 'self'");
    expect(ADMIN_CSP).not.toContain('unsafe-inline');
    const html = await (await get('/admin')).text();
    expect(html).toContain('<script src="/admin/admin.js" defer></script>');
    expect(html).not.toMatch(/<script>|<style>|\son[a-z]+=/i); // nothing inline for the CSP to refuse
  });

  it('renders server values as text, never as markup', () => {
    expect(ADMIN_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(ADMIN_SCRIPT).toContain('textContent');
    expect(ADMIN_SCRIPT).toContain('sessionStorage');
    expect(ADMIN_SCRIPT).not.toContain('localStorage');
  });

  it('405 for other methods', async () => {
    const response = await get('/admin', { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
