/**
 * Whether a listen address is reachable from this machine only. Demo mode and the public `/metrics` hang on
 * it, so anything not surely loopback counts as exposed (`0.0.0.0`, `::`, a LAN address, a host name).
 */
import { isIPv4, isIPv6 } from 'node:net';

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}
