export * from './channels.js';
export * from './close-codes.js';
export * from './codec.js';
export * from './errors.js';
export * from './lifecycle-batch.js';
export * from './subprotocols.js';
export * from './unsubscribe-codes.js';
export * from './wire-names.js';
