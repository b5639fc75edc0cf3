/**
 * Request bodies: JSON only, at most `maxBytes`. A declared Content-Length over the limit is refused before
 * reading; a body that grows past it while streaming is refused as soon as it does (413). Bad JSON is a 400.
 * The body is parsed as JSON whatever its Content-Type (curl's `-d` default is form-encoded).
 */
import type { IncomingMessage } from 'node:http';
import { RuntimeErrorCodes } from '@switchboard/runtime';
import { badRequest, HttpError } from './errors.js';

export function tooLarge(maxBytes: number): HttpError {
  return new HttpError(RuntimeErrorCodes.BodyTooLarge, `request body exceeds ${maxBytes} bytes`, {
    headers: { connection: 'close' },
  });
}

/** Reads the raw body; rejects with 413 past `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.off('data', onData);
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.once('error', (error) => {
      if (!done) reject(error);
    });
  });
}

/**
 * Reads a JSON object body. An empty body is `{}` when `optional` (endpoints whose fields are all optional),
 * a 400 otherwise.
 */
export async function readJsonObject(
  req: IncomingMessage,
  maxBytes: number,
  optional = false,
): Promise<Record<string, unknown>> {
  const raw = await readBody(req, maxBytes);
  if (raw.length === 0) {
    if (optional) return {};
    throw badRequest('request body is empty; send a JSON object');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw badRequest(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badRequest('request body must be a JSON object');
  return value as Record<string, unknown>;
}
