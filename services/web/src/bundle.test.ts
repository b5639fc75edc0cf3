import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWebAssets } from './bundle.js';

describe('buildWebAssets', () => {
  it('bundles the page for browsers: ESM, no require() of Node built-ins, no ws', async () => {
    const started = performance.now();
    const { appJs, appJsMap } = await buildWebAssets();
    expect(performance.now() - started).toBeLessThan(10_000);

    expect(appJs.length).toBeGreaterThan(10_000);
    expect(appJs).toMatch(/\/\/# sourceMappingURL=app\.js\.map\s*$/);
    // No CommonJS left over: esbuild adds a __require shim only for requires it could not bundle.
    expect(appJs).not.toMatch(/\brequire\s*\(/);
    expect(appJs).not.toContain('__require');
    expect(appJs).not.toMatch(/["'](node:)?(fs|path|crypto|http|https|net|os|stream|buffer|events|util)["']/);
    // The SDK reaches 'ws' only through a dynamic import of a variable, never in a browser.
    expect(appJs).not.toMatch(/from\s*["']ws["']/);
    expect(appJs).not.toMatch(/import\(\s*["']ws["']\s*\)/);
    expect(appJs).not.toContain('WebSocketServer');
    // The SDK and its codec are inside; protobufjs is not (the SDK's codec needs none, issue 19).
    expect(appJs).toContain('switchboard.v1.protobuf');

    const map = JSON.parse(appJsMap) as { sources: string[] };
    expect(map.sources.some((s) => s.endsWith('app/main.ts'))).toBe(true);
    expect(map.sources.some((s) => s.includes('protocol/src/client/'))).toBe(true);
    expect(map.sources.some((s) => s.includes('protobufjs'))).toBe(false);
    expect(map.sources.some((s) => /(^|\/)ws\//.test(s))).toBe(false);
  });

  it('writes app.js and app.js.map when given a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-web-'));
    try {
      const assets = await buildWebAssets(dir);
      expect(await readFile(join(dir, 'app.js'), 'utf8')).toBe(assets.appJs);
      expect(await readFile(join(dir, 'app.js.map'), 'utf8')).toBe(assets.appJsMap);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
