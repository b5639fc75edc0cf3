export { runTransportConformance, type ConformanceBroker } from './conformance.js';
export { waitFor, sleep, uniqueName, bytes, text } from './wait.js';
