/**
 * A subscriber written from docs/protocol.md alone, not with the client SDK: what a team writing its own
 * client (issue 18 came from one in Python) does. One WebSocket, binary Protobuf frames through the
 * protocol codec, one durable channel:
 * - on close: reconnect (100 ms–1 s backoff), Connect, Subscribe with `since` its last position;
 * - on Unsubscribed 2500–2999: Subscribe again with `since` its last position;
 * - every publication goes through {@link continuity}: the next offset is given to the application, an
 *   offset already seen is dropped, a jump is not given and the client subscribes again with `since` the
 *   last contiguous offset (the recovery brings the missing ones and this one, in order);
 * - while a Subscribe is unanswered, live publications are kept and offered after the answer's recovered ones.
 * A Subscribed answer to a resume (`was_recovering`) with `recovered: false` is counted; the client then
 * takes the answer's position as its own (the gap is lost for good), as the protocol says.
 */
import { createRequire } from 'node:module';
import {
  decodeServerFrame,
  encodeClientFrame,
  type IClientFrame,
  type ServerFrame,
  Subprotocol,
  shouldResubscribe,
} from '../../packages/protocol/src/index.js';

// ws is a dependency of the edge only, so it is loaded from there (as test/security/fuzz.test.ts does).
type Ws = typeof import('../../services/edge/node_modules/@types/ws/index.js');
const { WebSocket } = createRequire(new URL('../../services/edge/package.json', import.meta.url))('ws') as Ws;
type WebSocket = InstanceType<typeof WebSocket>;

export interface Position {
  offset: number;
  epoch: string;
}

/** What a client does with a publication of a durable channel, given the last position it delivered. */
export type Step = 'deliver' | 'duplicate' | 'jump';

/**
 * The protocol's continuity rule, kept in one place: the next offset of the same epoch is delivered; an
 * offset at or below the last one is a duplicate; anything else (an offset past the next one, another
 * epoch) is a jump. With no position yet the first publication starts the stream; after an empty stream
 * (offset 0) offset 1 does, in whatever epoch.
 */
export function continuity(last: Position | undefined, pub: Position): Step {
  if (!last) return 'deliver';
  if (last.offset === 0) return pub.offset === 1 ? 'deliver' : 'jump';
  if (pub.epoch !== last.epoch) return 'jump';
  if (pub.offset <= last.offset) return 'duplicate';
  return pub.offset === last.offset + 1 ? 'deliver' : 'jump';
}

/** One publication as the application got it. */
export interface Delivered {
  readonly offset: number;
  readonly payload: Uint8Array;
  readonly at: number;
}

export interface ProtocolSubscriberCounts {
  connects: number;
  /** Subscribes sent again: after a close, after a 2500, after a jump. */
  resubscribes: { afterClose: number; after2500: number; afterJump: number };
  duplicatesDropped: number;
  /** Answers to a resume with `recovered: false`. */
  recoveredFalse: number;
  /** Subscribe refused with a temporary error (retried) or for good (recorded in `failures`). */
  subscribeErrors: number;
}

type Publication = NonNullable<ServerFrame['publication']>;

const toNumber = (value: unknown): number => (value == null ? 0 : Number(String(value)));
const positionOf = (p: { offset?: unknown; epoch?: string | null } | null | undefined): Position => ({
  offset: toNumber(p?.offset),
  epoch: p?.epoch ?? '',
});

export class ProtocolSubscriber {
  readonly delivered: Delivered[] = [];
  readonly failures: string[] = [];
  readonly counts: ProtocolSubscriberCounts = {
    connects: 0,
    resubscribes: { afterClose: 0, after2500: 0, afterJump: 0 },
    duplicatesDropped: 0,
    recoveredFalse: 0,
    subscribeErrors: 0,
  };
  nodeId = '';
  #ws: WebSocket | undefined;
  #stopped = false;
  #nextId = 1;
  #position: Position | undefined;
  /** The id of the unanswered Subscribe, 0 when none. */
  #pending = 0;
  /** Publications that arrived while the Subscribe was unanswered. */
  #held: Publication[] = [];
  /** A 2500 or a jump while the Subscribe was unanswered: subscribe again once it is answered. */
  #againAfterAnswer: 'after2500' | 'afterJump' | undefined;
  #subscribed: (() => void) | undefined;

  constructor(
    readonly url: string,
    readonly token: () => Promise<string>,
    readonly channel: string,
  ) {}

  /** Connects and resolves once the first Subscribe is answered. */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve) => {
      this.#subscribed = resolve;
    });
    void this.#open();
    return ready;
  }

  stop(): void {
    this.#stopped = true;
    this.#ws?.terminate();
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    const token = await this.token();
    const ws = new WebSocket(this.url, [Subprotocol.Protobuf]);
    this.#ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('error', () => undefined); // a close follows
    ws.on('open', () => this.#send({ id: this.#nextId++, connect: { token, name: 'protocol-subscriber' } }));
    ws.on('message', (data: Buffer) => this.#onFrame(decodeServerFrame(new Uint8Array(data))));
    ws.on('close', () => {
      if (this.#ws !== ws || this.#stopped) return;
      this.#pending = 0;
      this.#held = [];
      this.#againAfterAnswer = undefined;
      const delay = 100 + Math.floor(Math.random() * 900);
      setTimeout(() => {
        this.counts.resubscribes.afterClose++;
        void this.#open();
      }, delay);
    });
  }

  #send(frame: IClientFrame): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(encodeClientFrame(frame));
  }

  #subscribe(): void {
    const id = this.#nextId++;
    this.#pending = id;
    const since = this.#position;
    this.#send({ id, subscribe: { channel: this.channel, ...(since ? { since } : {}) } });
  }

  /** A 2500 or a jump: subscribe again now, or after the answer to the Subscribe in flight. */
  #resubscribe(reason: 'after2500' | 'afterJump'): void {
    if (this.#pending) {
      this.#againAfterAnswer ??= reason;
      return;
    }
    this.counts.resubscribes[reason]++;
    this.#subscribe();
  }

  #onFrame(frame: ServerFrame): void {
    if (frame.connected) {
      this.counts.connects++;
      this.nodeId = frame.connected.nodeId ?? '';
      this.#subscribe();
    } else if (frame.subscribed && frame.id === this.#pending) {
      this.#answered(frame.subscribed);
    } else if (frame.error && frame.id === this.#pending) {
      this.counts.subscribeErrors++;
      if (frame.error.temporary) {
        this.#pending = -1; // still waiting for an answer: publications stay held until the retry's
        setTimeout(() => {
          if (this.#pending === -1) this.#subscribe();
        }, 500);
      } else {
        this.#pending = 0;
        this.failures.push(`subscribe refused: ${frame.error.code} ${frame.error.message}`);
      }
    } else if (frame.publication && frame.publication.channel === this.channel) {
      if (this.#pending) this.#held.push(frame.publication);
      else this.#offer(frame.publication);
    } else if (frame.unsubscribed && frame.unsubscribed.channel === this.channel) {
      const code = frame.unsubscribed.code ?? 0;
      if (shouldResubscribe(code)) this.#resubscribe('after2500');
      else this.failures.push(`unsubscribed ${code}: ${frame.unsubscribed.reason}`);
    }
  }

  #answered(s: NonNullable<ServerFrame['subscribed']>): void {
    this.#pending = 0;
    // No position in the answer (history was silent for a fresh subscribe): keep what we have.
    const top = s.position ? positionOf(s.position) : undefined;
    const recovered = [...(s.publications ?? [])].sort((a, b) => toNumber(a.offset) - toNumber(b.offset));
    if (!this.#position) {
      this.#position = top; // a fresh subscribe starts at the stream top
    } else if (s.wasRecovering && !s.recovered) {
      this.counts.recoveredFalse++;
      for (const pub of recovered) this.#offer(pub);
      const last = this.#position;
      if (top && (last.epoch !== top.epoch || last.offset < top.offset)) this.#position = top; // the gap is lost
    } else {
      for (const pub of recovered) this.#offer(pub);
    }
    this.#subscribed?.();
    this.#subscribed = undefined;
    const held = this.#held;
    this.#held = [];
    for (const pub of held) this.#offer(pub);
    const again = this.#againAfterAnswer;
    this.#againAfterAnswer = undefined;
    if (again && !this.#pending) {
      this.counts.resubscribes[again]++;
      this.#subscribe();
    }
  }

  /** One publication through the continuity rule (held while a Subscribe is unanswered). */
  #offer(pub: Publication): void {
    if (this.#pending) {
      this.#held.push(pub);
      return;
    }
    const at = positionOf(pub);
    const step = continuity(this.#position, at);
    if (step === 'duplicate') this.counts.duplicatesDropped++;
    else if (step === 'jump') this.#resubscribe('afterJump');
    else {
      this.#position = at;
      this.delivered.push({ offset: at.offset, payload: pub.payload ?? new Uint8Array(), at: Date.now() });
    }
  }
}
