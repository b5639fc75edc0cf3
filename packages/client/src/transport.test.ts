import { describe, expect, it } from 'vitest';
import { bytes, connected, useEdge } from './test-support/clients.js';
import { collect, nextEvent, until } from './test-support/wait.js';

const fixture = useEdge();

describe('wire format', () => {
  it('speaks JSON text frames over switchboard.v1.json when format is json', async () => {
    const { edge } = fixture;
    edge.onFrame = (conn, frame) => {
      if (frame.connect)
        conn.send({ id: frame.id, connected: { connectionId: 'c1', userId: 'u1', expiresAtMs: 0 } });
      if (frame.subscribe)
        conn.send({
          id: frame.id,
          subscribed: { channel: 'chat:1', durable: true, position: { offset: 1, epoch: 'e1' } },
        });
      if (frame.send?.requestId)
        conn.send({
          reply: { requestId: frame.send.requestId, type: 'echoed', payload: frame.send.payload },
        });
    };
    const client = fixture.newClient({ format: 'json', token: 'jwt' });
    const sub = client.subscribe('chat:1');
    const received = collect(sub, 'publication');
    const subscribed = nextEvent(sub, 'subscribed');
    expect(await connected(client)).toMatchObject({ connectionId: 'c1', userId: 'u1' });
    await subscribed;
    const conn = await edge.connection(0);
    expect(edge.protocols).toEqual(['switchboard.v1.json']);
    expect(conn.format).toBe('json');
    conn.send({
      publication: { channel: 'chat:1', offset: 2, epoch: 'e1', type: 'msg', payload: bytes('é') },
    });
    await until(() => received.length === 1);
    expect(new TextDecoder().decode(received[0]!.payload)).toBe('é');
    expect(sub.position).toEqual({ offset: 2, epoch: 'e1' });
    const reply = await client.request('svc', 'echo', bytes('\u0000\u00ff'));
    expect([...reply.payload]).toEqual([...bytes('\u0000\u00ff')]);
    expect(conn.frames[0]?.connect?.token).toBe('jwt');
    expect(conn.frameTypes.length).toBeGreaterThanOrEqual(3);
    expect(new Set(conn.frameTypes)).toEqual(new Set(['text']));
  });

  it('uses binary Protobuf frames by default', async () => {
    const { edge } = fixture;
    const client = fixture.newClient();
    await connected(client);
    await client.ping();
    const conn = await edge.connection(0);
    expect(edge.protocols).toEqual(['switchboard.v1.protobuf']);
    expect(new Set(conn.frameTypes)).toEqual(new Set(['binary']));
  });
});
