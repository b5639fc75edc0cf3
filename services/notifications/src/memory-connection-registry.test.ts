import { MemoryConnectionRegistry } from './memory-connection-registry.js';
import { describeConnectionRegistry } from './testing/connection-registry-contract.js';
import { describeNotificationsResync } from './testing/resync-behaviour.js';

describeConnectionRegistry('MemoryConnectionRegistry', () => new MemoryConnectionRegistry());
describeNotificationsResync('MemoryConnectionRegistry', () => new MemoryConnectionRegistry());
