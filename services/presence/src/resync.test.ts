import { describe } from 'vitest';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { presenceResyncBehaviour } from './resync-behaviour.js';

describe('presence re-syncs a node after lost lifecycle events (memory store)', () => {
  presenceResyncBehaviour(async () => new MemoryPresenceStore());
});
