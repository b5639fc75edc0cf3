import type { ClientFrame, switchboard } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { bytes, connected, useEdge } from './test-support/clients.js';
import type { EdgeConnection } from './test-support/fake-edge.js';
import { collect, until } from './test-support/wait.js';
import type { Publication, StreamPosition } from './types.js';

const fixture = useEdge();

const CHANNEL = 'chat:1';
const pub = (offset: number, epoch = 'e1'): switchboard.v1.IPublication => ({
  channel: CHANNEL,
  offset,
  epoch,
  type: 'msg',
  payload: bytes(`m${offset}`),
});
const seen = (pubs: Publication[]) => pubs.map((p) => `${p.epoch}:${p.offset}`);

/**
 * Scripts the fake edge: `answer(n, since, conn, id)` answers the n-th Subscribe (0-based) of CHANNEL; the
 * `since` of every Subscribe is recorded.
 */
function script(answer: (n: number, since: StreamPosition | null, conn: EdgeConnection, id: number) => void) {
  const sinces: (StreamPosition | null)[] = [];
  fixture.edge.onFrame = (conn, frame: ClientFrame) => {
    if (frame.connect) conn.send({ id: frame.id, connected: { connectionId: 'c' } });
    if (frame.subscribe?.channel !== CHANNEL) return;
    const s = frame.subscribe.since;
    const since = s ? { offset: Number(s.offset), epoch: s.epoch ?? '' } : null;
    sinces.push(since);
    answer(sinces.length - 1, since, conn, frame.id);
  };
  return sinces;
}

const subscribed = (
  id: number,
  position: StreamPosition,
  more: Partial<switchboard.v1.ISubscribed> = {},
) => ({ id, subscribed: { channel: CHANNEL, durable: true, position, ...more } });

async function start() {
  const client = fixture.newClient();
  const sub = client.subscribe(CHANNEL);
  const received = collect(sub, 'publication');
  const answers = collect(sub, 'subscribed');
  const states = collect(sub, 'state');
  await connected(client);
  return { sub, received, answers, states };
}

describe('continuity of a durable channel in the client', () => {
  it('on a jump emits nothing past the gap and resubscribes with since its last position', async () => {
    const sinces = script((n, _since, conn, id) => {
      if (n === 0) {
        conn.send(subscribed(id, { offset: 2, epoch: 'e1' }));
        for (const offset of [3, 6, 7]) conn.send({ publication: pub(offset) }); // 4 and 5 never came
      } else {
        const recovery = [4, 5, 6, 7].map((o) => pub(o));
        const top = { offset: 7, epoch: 'e1' };
        conn.send(subscribed(id, top, { wasRecovering: true, recovered: true, publications: recovery }));
        conn.send({ publication: pub(8) });
      }
    });
    const { sub, received, answers, states } = await start();
    await until(() => received.length === 6);
    expect(seen(received)).toEqual(['e1:3', 'e1:4', 'e1:5', 'e1:6', 'e1:7', 'e1:8']);
    expect(sinces).toEqual([null, { offset: 3, epoch: 'e1' }]);
    expect(answers.map((a) => a.recovered)).toEqual([false, true]);
    expect(states.map((s) => s.newState)).toEqual(['subscribed', 'subscribing', 'subscribed']);
    expect(sub.position).toEqual({ offset: 8, epoch: 'e1' });
  });

  it('checks the first publication against the stream top of the Subscribed answer (issue 18)', async () => {
    const sinces = script((n, _since, conn, id) => {
      if (n === 0) {
        conn.send(subscribed(id, { offset: 5, epoch: 'e1' }));
        conn.send({ publication: pub(9) }); // the edge forwarded a publication from after a gap
      } else {
        const recovery = [6, 7, 8, 9].map((o) => pub(o));
        const top = { offset: 9, epoch: 'e1' };
        conn.send(subscribed(id, top, { wasRecovering: true, recovered: true, publications: recovery }));
      }
    });
    const { received } = await start();
    await until(() => received.length === 4);
    expect(seen(received)).toEqual(['e1:6', 'e1:7', 'e1:8', 'e1:9']);
    expect(sinces).toEqual([null, { offset: 5, epoch: 'e1' }]);
  });

  it('checks publications that raced ahead of the Subscribed answer, and drops those up to its top', async () => {
    const sinces = script((n, _since, conn, id) => {
      if (n === 0) {
        for (const offset of [5, 6, 8]) conn.send({ publication: pub(offset) }); // 7 never came
        conn.send(subscribed(id, { offset: 5, epoch: 'e1' }));
      } else {
        const top = { offset: 8, epoch: 'e1' };
        conn.send(
          subscribed(id, top, { wasRecovering: true, recovered: true, publications: [pub(7), pub(8)] }),
        );
      }
    });
    const { received } = await start();
    await until(() => received.length === 3);
    expect(seen(received)).toEqual(['e1:6', 'e1:7', 'e1:8']);
    expect(sinces).toEqual([null, { offset: 6, epoch: 'e1' }]);
  });

  it('treats another epoch as a lost position: resubscribes and reports recovered=false', async () => {
    const sinces = script((n, _since, conn, id) => {
      if (n === 0) {
        conn.send(subscribed(id, { offset: 0, epoch: 'e1' }));
        for (const p of [pub(1), pub(2), pub(1, 'e2'), pub(2, 'e2')]) conn.send({ publication: p });
      } else {
        // What history answers a `since` from another epoch: no recovery, the new stream top.
        conn.send(subscribed(id, { offset: 2, epoch: 'e2' }, { wasRecovering: true, recovered: false }));
        conn.send({ publication: pub(3, 'e2') });
      }
    });
    const { sub, received, answers } = await start();
    await until(() => received.length === 3);
    expect(seen(received)).toEqual(['e1:1', 'e1:2', 'e2:3']);
    expect(sinces).toEqual([null, { offset: 2, epoch: 'e1' }]);
    expect(answers.map((a) => [a.wasRecovering, a.recovered])).toEqual([
      [false, false],
      [true, false],
    ]);
    expect(sub.position).toEqual({ offset: 3, epoch: 'e2' });
  });

  it('reports recovered=false when a recovery said true but does not reach the top without a hole', async () => {
    script((_n, _since, conn, id) => {
      const top = { offset: 7, epoch: 'e1' };
      conn.send(
        subscribed(id, top, { wasRecovering: true, recovered: true, publications: [pub(5), pub(7)] }),
      );
    });
    const client = fixture.newClient();
    const sub = client.subscribe(CHANNEL, { since: { offset: 4, epoch: 'e1' } });
    const answers = collect(sub, 'subscribed');
    await connected(client);
    await until(() => answers.length === 1);
    expect(answers[0]).toMatchObject({ wasRecovering: true, recovered: false });
    expect(sub.position).toEqual({ offset: 7, epoch: 'e1' });
  });

  it('starts an empty stream (top 0) at offset 1 of whatever epoch', async () => {
    const sinces = script((_n, _since, conn, id) => {
      conn.send(subscribed(id, { offset: 0, epoch: '' }));
      for (const offset of [1, 2]) conn.send({ publication: pub(offset, 'e7') });
    });
    const { received } = await start();
    await until(() => received.length === 2);
    expect(seen(received)).toEqual(['e7:1', 'e7:2']);
    expect(sinces).toEqual([null]);
  });
});
