/**
 * The Connect step of a connection (token in the URL or in a Connect frame): verify the token, apply the
 * per-user connection limit, index the connection, announce it on the bus, answer Connected. A refusal is
 * an Error frame and a Disconnect from the one table (disconnects.ts).
 */
import { ErrorCodes } from '@switchboard/protocol';
import { AuthError, type Identity } from './auth.js';
import { type CommandContext, errorFrame } from './commands.js';
import type { Connection } from './connection.js';
import { Disconnects, disconnect, disconnectForError } from './disconnects.js';

export async function authenticate(
  ctx: CommandContext,
  nodeId: string,
  c: Connection,
  token: string,
  frameId: number,
): Promise<void> {
  let identity: Identity;
  if (!token) {
    if (!ctx.options.allowAnonymous) {
      ctx.metrics.authFailures.inc({ reason: 'no_token' });
      c.send(errorFrame(frameId, ErrorCodes.Unauthorized));
      disconnect(c, Disconnects.tokenRequired);
      return;
    }
    identity = { userId: '', expiresAtMs: 0 };
  } else {
    try {
      identity = await ctx.auth.verifyConnection(token);
    } catch (error) {
      const spec = error instanceof AuthError ? error.spec : ErrorCodes.InvalidToken;
      ctx.metrics.authFailures.inc({ reason: error instanceof AuthError ? error.reason : 'invalid' });
      c.log.info({ err: error }, 'authentication failed');
      c.send(errorFrame(frameId, spec, error instanceof AuthError ? error.reason : undefined));
      disconnectForError(c, spec);
      return;
    }
  }
  if (!c.open) return;
  if (
    identity.userId &&
    ctx.index.userConnections(identity.userId) >= ctx.options.limits.maxConnectionsPerUser
  ) {
    c.send(errorFrame(frameId, ErrorCodes.ConnectionLimit));
    disconnect(c, Disconnects.connectionLimit);
    return;
  }
  c.userId = identity.userId;
  c.expiresAtMs = identity.expiresAtMs;
  c.info = identity.info;
  c.log = c.log.child({ user: c.userId });
  c.state = 'connected';
  ctx.metrics.connections.inc();
  await safely(c, 'add connection', () => ctx.index.addConnection(c));
  ctx.lifecycle.opened(c);
  c.send({
    id: frameId,
    connected: {
      connectionId: c.id,
      nodeId: nodeId,
      userId: c.userId,
      pingIntervalMs: ctx.options.pingIntervalMs,
      expiresAtMs: c.expiresAtMs,
    },
  });
  c.log.debug('connected');
}

/** Runs `run`; a failure is logged (and answered Internal when it served a frame), never thrown. */
export async function safely(
  c: Connection,
  what: string,
  run: () => Promise<void>,
  frameId?: number,
): Promise<void> {
  try {
    await run();
  } catch (error) {
    c.log.error({ err: error }, `${what} failed`);
    if (frameId !== undefined) c.send(errorFrame(frameId, ErrorCodes.Internal));
  }
}
