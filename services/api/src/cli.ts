#!/usr/bin/env -S npx tsx
/**
 * `switchboard`: a command-line client of the HTTP API. Prints the API's JSON answer on stdout; on a 4xx/5xx
 * prints the error on stderr and exits 1 (2 for usage errors).
 *
 *   switchboard publish --channel news [--type message] [--durable] '{"x":1}'
 *   switchboard broadcast --type maintenance '{"in":"5m"}'
 *   switchboard notify --user alice --type order.update [--ack] '{"order":"o-1"}'
 *   switchboard disconnect (--connection <id> | --user <id>) [--reason text] [--no-reconnect]
 *   switchboard presence <channel>
 *   switchboard history <channel> [--limit N] [--before OFFSET]
 *
 * Env: SWITCHBOARD_API_URL (default http://127.0.0.1:8090), SWITCHBOARD_API_KEY; or --url / --key.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_API_URL = 'http://127.0.0.1:8090';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const USAGE = `usage: switchboard <command> [options]
  publish --channel <name> [--type <type>] [--durable] [--except <connection>] <json>
  broadcast --type <type> <json>
  notify --user <id> --type <type> [--ack] <json>
  disconnect (--connection <id> | --user <id>) [--reason <text>] [--no-reconnect]
  presence <channel>
  history <channel> [--limit <n>] [--before <offset>]
options: --url <api url> (SWITCHBOARD_API_URL, default ${DEFAULT_API_URL}), --key <api key> (SWITCHBOARD_API_KEY)
<json> is any JSON value; quote text as '"hello"'.`;

class UsageError extends Error {}

const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  channel: { type: 'string' },
  type: { type: 'string' },
  user: { type: 'string' },
  connection: { type: 'string' },
  except: { type: 'string' },
  reason: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  durable: { type: 'boolean' },
  ack: { type: 'boolean' },
  'no-reconnect': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Request {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
}

const segment = (value: string) => encodeURIComponent(value);

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`${what} is required`);
  return value;
}

function jsonArg(positionals: readonly string[]): unknown {
  const raw = positionals[0];
  if (raw === undefined) throw new UsageError('the data argument (<json>) is required');
  if (positionals.length > 1) throw new UsageError('give the data as one argument (quote it)');
  try {
    return JSON.parse(raw);
  } catch {
    throw new UsageError(`data is not valid JSON: ${raw} (quote text as '"hello"')`);
  }
}

type Values = ReturnType<typeof parse>['values'];

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function toRequest(command: string | undefined, values: Values, positionals: readonly string[]): Request {
  switch (command) {
    case 'publish':
      return {
        method: 'POST',
        path: '/v1/publish',
        body: {
          channel: need(values.channel, '--channel'),
          type: values.type ?? 'message',
          data: jsonArg(positionals),
          ...(values.durable ? { durable: true } : {}),
          ...(values.except ? { except: values.except } : {}),
        },
      };
    case 'broadcast':
      return {
        method: 'POST',
        path: '/v1/broadcast',
        body: { type: need(values.type, '--type'), data: jsonArg(positionals) },
      };
    case 'notify':
      return {
        method: 'POST',
        path: `/v1/users/${segment(need(values.user, '--user'))}/notify`,
        body: {
          type: need(values.type, '--type'),
          data: jsonArg(positionals),
          ...(values.ack ? { requiresAck: true } : {}),
        },
      };
    case 'disconnect': {
      if (Boolean(values.connection) === Boolean(values.user))
        throw new UsageError('give exactly one of --connection or --user');
      const target = values.connection
        ? `connections/${segment(values.connection)}`
        : `users/${segment(values.user ?? '')}`;
      return {
        method: 'POST',
        path: `/v1/${target}/disconnect`,
        body: {
          ...(values.reason ? { reason: values.reason } : {}),
          ...(values['no-reconnect'] ? { reconnect: false } : {}),
        },
      };
    }
    case 'presence':
      return { method: 'GET', path: `/v1/presence/${segment(need(positionals[0], '<channel>'))}` };
    case 'history': {
      const query = new URLSearchParams();
      if (values.limit) query.set('limit', values.limit);
      if (values.before) query.set('before', values.before);
      const qs = query.size > 0 ? `?${query}` : '';
      return { method: 'GET', path: `/v1/history/${segment(need(positionals[0], '<channel>'))}${qs}` };
    }
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  }
}

/** Runs one CLI invocation; resolves with the exit code (0 ok, 1 API or network error, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let request: Request;
  let url: string;
  let key: string | undefined;
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    request = toRequest(command, values, rest);
    url = (values.url ?? io.env.SWITCHBOARD_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
    key = values.key ?? io.env.SWITCHBOARD_API_KEY;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`switchboard: ${error.message}\n${USAGE}\n`);
    return 2;
  }

  let response: Response;
  try {
    response = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    io.stderr(`switchboard: cannot reach ${url}: ${cause ?? (error as Error).message}\n`);
    return 1;
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: print as is
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const detail = error ? `${error.code ?? 'error'}: ${error.message ?? ''}` : text;
    io.stderr(`switchboard: ${response.status} ${detail}\n`);
    return 1;
  }
  io.stdout(`${typeof body === 'string' ? body : JSON.stringify(body, null, 2)}\n`);
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  runCli(process.argv.slice(2), {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`switchboard: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
