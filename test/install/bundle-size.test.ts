/**
 * Size budget of the browser SDK (issue 19): its minified ESM bundle, gzipped, is at most socket.io-client's,
 * both built here with the same options. Prints both sizes.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleSize, kb } from './bundle-size.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('browser SDK bundle size', () => {
  it('@switchboard/client gzips to no more than socket.io-client', async () => {
    // The web demo depends on the SDK, so '@switchboard/client' resolves there as in an app that installed it.
    const client = await bundleSize('@switchboard/client', join(root, 'services/web'));
    const socketIo = await bundleSize('socket.io-client', root);
    console.log(
      `bundle size (esbuild, ESM, minified, browser; gzip -9): @switchboard/client ${kb(client.minified)} / ${kb(client.gzipped)} gzipped, socket.io-client ${kb(socketIo.minified)} / ${kb(socketIo.gzipped)} gzipped`,
    );
    expect(client.gzipped).toBeLessThanOrEqual(socketIo.gzipped);
  });

  it('@switchboard/client carries no protobufjs, no long and no server-only generated code', async () => {
    const { inputs } = await bundleSize('@switchboard/client', join(root, 'services/web'));
    expect(inputs.some((file) => file.includes('packages/client/'))).toBe(true);
    expect(inputs.filter((file) => /protobufjs|[/]long[@/]|gen[/]switchboard/.test(file))).toEqual([]);
  });
});
