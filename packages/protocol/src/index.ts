export * from './codec.js';
export * from './errors.js';
export * from './close-codes.js';
export * from './channels.js';
export * from './subprotocols.js';
