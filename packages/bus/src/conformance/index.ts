export { type ConformanceBroker, runTransportConformance } from './conformance.js';
export { bytes, sleep, text, uniqueName, waitFor } from './wait.js';
