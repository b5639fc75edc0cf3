import { describe } from 'vitest';
import { MemoryPresenceStore } from './memory-presence-store.js';
import { presenceStoreContract } from './store-contract.js';

describe('MemoryPresenceStore', () => {
  presenceStoreContract(async () => new MemoryPresenceStore());
});
