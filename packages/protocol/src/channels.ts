/**
 * Channel-name rules. Names travel in routing keys (AMQP), Kafka headers and logs, so the alphabet is
 * small and printable. Namespaces decide who may subscribe:
 * - `user:<id>`      only the user `<id>` (personal channel);
 * - `private-<name>` needs a subscription token issued by the backend;
 * - `presence-<name>` members are tracked and join/leave is published;
 * - anything else    public.
 * A `ns:` prefix (e.g. `chat:room-1`) selects per-namespace options such as durability. `private-` and
 * `presence-` count in any `:`-separated segment, not only after the first `:`: `a:b:private-c` and
 * `:private-c` are private. Deciding on the segment after the first `:` alone let `a:b:private-c` be
 * subscribed without a token; when in doubt the stricter kind wins (private before presence).
 */
import { ChannelNameError } from './errors.js';

export const MAX_CHANNEL_LENGTH = 255;
const ALLOWED = /^[A-Za-z0-9_\-.:@=,;+]+$/;

export type ChannelKind = 'public' | 'user' | 'private' | 'presence';

export interface ChannelInfo {
  readonly name: string;
  readonly kind: ChannelKind;
  /** Namespace before the first `:` (e.g. `chat` for `chat:room-1`), '' when none. */
  readonly namespace: string;
  /** For `user:` channels, the user id the channel belongs to. */
  readonly owner?: string;
}

/** Validates a channel name and classifies it; throws ChannelNameError with the broken rule. */
export function parseChannel(name: string): ChannelInfo {
  if (typeof name !== 'string' || name.length === 0) throw new ChannelNameError('channel name is empty');
  if (name.length > MAX_CHANNEL_LENGTH)
    throw new ChannelNameError(`channel name is longer than ${MAX_CHANNEL_LENGTH} characters`);
  if (!ALLOWED.test(name))
    throw new ChannelNameError(`channel "${name}" has characters outside [A-Za-z0-9_-.:@=,;+]`);
  if (name.startsWith('user:')) {
    const owner = name.slice('user:'.length);
    if (!owner) throw new ChannelNameError('user: channel needs a user id');
    return { name, kind: 'user', namespace: 'user', owner };
  }
  const colon = name.indexOf(':');
  const namespace = colon > 0 ? name.slice(0, colon) : '';
  const segments = name.split(':');
  if (segments.some((s) => s.startsWith('private-'))) return { name, kind: 'private', namespace };
  if (segments.some((s) => s.startsWith('presence-'))) return { name, kind: 'presence', namespace };
  return { name, kind: 'public', namespace };
}

export function isValidChannel(name: string): boolean {
  try {
    parseChannel(name);
    return true;
  } catch {
    return false;
  }
}
