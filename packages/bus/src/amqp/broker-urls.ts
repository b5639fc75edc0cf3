/**
 * The AMQP URL setting names one broker or several nodes of a cluster: full URLs separated by commas,
 * `amqp://u:p@node1:5672/vh,amqp://u:p@node2:5672/vh`. The transport tries them in order and reconnects
 * to whichever node answers (connection-manager.ts). A comma inside a user name or password must be
 * percent-encoded (`%2C`), as in any URL.
 */

/** Why a URL list was refused; the message names the offending URL (password hidden) and the fix. */
export class AmqpUrlError extends TypeError {
  override readonly name = 'AmqpUrlError';
}

const FORM = 'amqp://user:pass@host:port/vhost or amqps://…';

/** Splits and validates the setting; throws AmqpUrlError naming the bad entry and the form expected. */
export function parseAmqpUrls(value: string): string[] {
  if (value.replace(/[\s,]/g, '') === '') throw new AmqpUrlError(`AMQP URL is empty; set it to ${FORM}`);
  const parts = value
    .split(/,(?=\s*[a-z][a-z0-9+.-]*:\/\/)/i)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  for (const part of parts) validate(part);
  return parts;
}

function validate(part: string): void {
  let parsed: URL;
  try {
    parsed = new URL(part);
  } catch {
    const hint = /^amqps?:\/\/[^/]*,/.test(part)
      ? ': give every node a full URL (amqp://u:p@node1:5672,amqp://u:p@node2:5672), not a host list'
      : '';
    throw new AmqpUrlError(`AMQP URL "${redact(part)}" is not a URL${hint}; each entry must be ${FORM}`);
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new AmqpUrlError(
      `AMQP URL "${redact(part)}" has scheme ${parsed.protocol}; each comma-separated entry must be ${FORM}`,
    );
  }
  if (parsed.hostname === '') {
    throw new AmqpUrlError(`AMQP URL "${redact(part)}" names no host; each entry must be ${FORM}`);
  }
}

/** The URL with its password replaced, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}
