import { MemoryConnectionRegistry } from './memory-connection-registry.js';
import { describeConnectionRegistry } from './testing/connection-registry-contract.js';

describeConnectionRegistry('MemoryConnectionRegistry', () => new MemoryConnectionRegistry());
