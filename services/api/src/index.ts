export { type CliIo, runCli } from './cli.js';
export { type ApiConfig, readApiConfig } from './config.js';
export { openApiDocument } from './openapi.js';
export { type ApiOptions, type RunningApi, startApi } from './server.js';
