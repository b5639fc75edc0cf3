import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  it('resolves with the first truthy value of a sync or async check', async () => {
    let calls = 0;
    expect(await waitFor('the third call', () => (++calls >= 3 ? calls : 0), 5_000, 1)).toBe(3);
    expect(await waitFor('an async value', async () => 'ready', 5_000, 1)).toBe('ready');
  });

  it('names what it waited for when it gives up', async () => {
    await expect(waitFor('a door that never opens', () => false, 30, 5)).rejects.toThrow(
      'timed out after 30 ms waiting for a door that never opens',
    );
  });
});
