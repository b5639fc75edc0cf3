/**
 * Chat requests flowing beside a drill's stream (OutageDrill.alongside, test/failover/outage-scenario.ts):
 * `users` clients each join a room of their own and send `chat.send` one after the other, every `everyMs`,
 * each waiting for its answer (timeout 30 s). What must hold through a broker fault:
 * - every request is answered — a reply or an error reply — never left unanswered (silence);
 * - every message answered `chat.sent` is in its room's history, in the order the user sent them.
 * Printed: requests, replies, error replies and their codes, silence, and how long after the fault began
 * the longest request waited for its answer.
 *
 * The clients send like an application should send an idempotent request: `chat.send` carries a clientMsgId
 * (the chat service answers a repeat with the first message's id) and the SDK sends it again after a
 * temporary error (`retries`). An error reply is what is left after those retries; a drill that promises
 * "nothing more than reconnects" fails on it (`errorRepliesFail`).
 */
import { ServerError } from '../../packages/client/src/index.js';
import { hex, json, readHistoryPage, type Topology } from '../failover/harness.js';
import type { SideLoad } from '../failover/outage-scenario.js';

/** The chat service's per-user rate limit is not what a drill is about. */
export const CHAT_LOAD_ENV = ['chat:CHAT_RATE_PER_USER_PER_SECOND=1000', 'chat:CHAT_RATE_BURST=1000'];

interface Outcome {
  readonly user: number;
  readonly k: number;
  readonly kind: 'sent' | 'error-reply' | 'silence';
  readonly code?: string;
  readonly waitedMs: number;
}

export interface ChatRequestOptions {
  /** The SDK's `retries` for each chat.send (default 3). */
  readonly retries?: number;
  /** An error reply (after the retries) fails the drill, not only silence (default false). */
  readonly errorRepliesFail?: boolean;
}

export function chatRequests(
  users = 10,
  everyMs = 200,
  { retries = 3, errorRepliesFail = false }: ChatRequestOptions = {},
): (t: Topology) => Promise<SideLoad> {
  return async (t) => {
    const tag = hex();
    const rooms = Array.from({ length: users }, (_, i) => `cl-${tag}-${i}`);
    const clients = await Promise.all(rooms.map((_, i) => t.connect(`cl-chat-${tag}-${i}`)));
    for (const [i, client] of clients.entries()) {
      const reply = await client.request('chat', 'chat.join', json({ room: rooms[i] }), {
        timeoutMs: 20_000,
      });
      if (reply.type !== 'chat.joined') throw new Error(`chat.join ${rooms[i]}: ${reply.type}`);
    }
    const outcomes: Outcome[] = [];
    let running = true;
    const loops = clients.map(async (client, user) => {
      for (let k = 0; running; k++) {
        const began = Date.now();
        const body = json({ room: rooms[user], text: `m-${k}`, clientMsgId: `${tag}-${user}-${k}` });
        try {
          const reply = await client.request('chat', 'chat.send', body, { timeoutMs: 30_000, retries });
          const kind = reply.type === 'chat.sent' ? 'sent' : 'error-reply';
          outcomes.push({
            user,
            k,
            kind,
            code: kind === 'sent' ? undefined : reply.type,
            waitedMs: Date.now() - began,
          });
        } catch (error) {
          outcomes.push({
            user,
            k,
            kind: error instanceof ServerError ? 'error-reply' : 'silence',
            code: String((error as { code?: string }).code),
            waitedMs: Date.now() - began,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    });
    return {
      async stop() {
        running = false;
        await Promise.all(loops);
        const problems: string[] = [];
        const silent = outcomes.filter((o) => o.kind === 'silence');
        if (silent.length > 0)
          problems.push(`${silent.length} unanswered requests, e.g. ${JSON.stringify(silent[0])}`);
        let missing = 0;
        let outOfOrder = 0;
        for (const [user, room] of rooms.entries()) {
          const offsets = await firstOffsets(t, `chat:${room}`);
          const sent = outcomes.filter((o) => o.user === user && o.kind === 'sent').sort((a, b) => a.k - b.k);
          let last = 0;
          for (const o of sent) {
            const offset = offsets.get(`m-${o.k}`);
            if (offset === undefined) missing++;
            else if (offset < last) outOfOrder++;
            else last = offset;
          }
        }
        if (missing > 0)
          problems.push(`${missing} messages answered chat.sent are not in their room's history`);
        if (outOfOrder > 0)
          problems.push(`${outOfOrder} messages answered chat.sent are out of order in history`);
        const errors = outcomes.filter((o) => o.kind === 'error-reply');
        if (errorRepliesFail && errors.length > 0)
          problems.push(
            `${errors.length} requests failed after ${retries} retries, e.g. ${JSON.stringify(errors[0])}`,
          );
        return {
          figures: {
            chatRequests: outcomes.length,
            replies: outcomes.filter((o) => o.kind === 'sent').length,
            errorReplies: errors.length,
            errorCodes: [...new Set(errors.map((e) => e.code))],
            silence: silent.length,
            silenceCodes: [...new Set(silent.map((o) => o.code))],
            sentMissingFromHistory: missing,
            sentOutOfOrder: outOfOrder,
            longestWaitMs: Math.max(0, ...outcomes.map((o) => o.waitedMs)),
          },
          problems,
        };
      },
    };
  };
}

/** For each chat text in `channel`'s history, the offset of its first publication (read in pages, newest first). */
async function firstOffsets(t: Topology, channel: string): Promise<Map<string, number>> {
  const first = new Map<string, number>();
  let before = 0;
  for (;;) {
    const query = `limit=100${before ? `&before=${before}` : ''}`;
    const r = await readHistoryPage(t, channel, query);
    const pubs = (r.json as { publications: { offset: number; type: string; data?: { text?: string } }[] })
      .publications;
    for (const p of pubs) {
      if (p.type !== 'chat.message') continue;
      const text = p.data?.text ?? '';
      first.set(text, Math.min(first.get(text) ?? Number.POSITIVE_INFINITY, p.offset));
    }
    const oldest = Math.min(...pubs.map((p) => p.offset));
    if (pubs.length === 0 || oldest <= 1) return first;
    before = oldest;
  }
}
