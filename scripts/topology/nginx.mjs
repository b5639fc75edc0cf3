// Renders deploy/nginx.local.conf.template for the plain-process topology and checks it with `nginx -t`.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * @param {string} root repository root
 * @param {{ prefix: string, logDir: string, port: number, edges: number[], api: number, web: number }} o
 * @returns {string} the path of the written nginx.conf
 */
export function writeNginxConf(root, o) {
  const template = readFileSync(join(root, 'deploy/nginx.local.conf.template'), 'utf8');
  const edgeServers = o.edges
    .map((port) => `    server 127.0.0.1:${port} max_fails=2 fail_timeout=10s;`)
    .join('\n');
  const text = template
    .replaceAll('{{PREFIX}}', o.prefix)
    .replaceAll('{{LOG_DIR}}', o.logDir)
    .replaceAll('{{PORT}}', String(o.port))
    .replaceAll('{{EDGE_SERVERS}}', edgeServers)
    .replaceAll('{{API}}', `127.0.0.1:${o.api}`)
    .replaceAll('{{WEB}}', `127.0.0.1:${o.web}`);
  for (const dir of ['tmp', 'logs']) mkdirSync(join(o.prefix, dir), { recursive: true });
  const file = join(o.prefix, 'nginx.conf');
  writeFileSync(file, text);
  return file;
}

/** The arguments that run nginx on a rendered config (foreground: the config says `daemon off`). */
export function nginxArgs(prefix, logDir) {
  return ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(logDir, 'nginx-error.log')];
}

/** Finds the nginx binary (Debian installs it in /usr/sbin, which a non-root PATH may lack). */
export function nginxBinary() {
  return process.env.NGINX_BIN ?? '/usr/sbin/nginx';
}

/** `nginx -t` on the rendered config; throws with nginx's own message when it is rejected. */
export async function testNginxConf(prefix, logDir) {
  try {
    const { stderr } = await run(nginxBinary(), ['-t', ...nginxArgs(prefix, logDir)]);
    return stderr;
  } catch (error) {
    const detail = /** @type {{ stderr?: string, code?: string }} */ (error);
    if (detail.code === 'ENOENT')
      throw new Error(`nginx not found at ${nginxBinary()}: apt-get install nginx-light (or set NGINX_BIN)`);
    throw new Error(`nginx -t rejected the generated config:\n${detail.stderr ?? String(error)}`);
  }
}
