export {
  type ConformanceBroker,
  type ConformanceCapabilities,
  type ConformanceConnectOptions,
  runTransportConformance,
} from './conformance.js';
export { bytes, sleep, text, uniqueName, waitFor } from './wait.js';
