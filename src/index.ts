// The library entry of the `tsrs` package (package.json `exports`): embed the server in a Node program.
// See docs/embedding.md. The command line is dist/src/cli/main.js (`npx tsrs -c my.conf`).
export {
  startServer,
  configText,
  EmbeddedServer,
  type EmbeddedServerOptions,
  type EmbeddedServerEvents,
  type ConfigObject,
  type ConfigScalar,
  type StreamEvent,
  type ClientEvent,
  type ServerStatsSnapshot,
} from './cli/embed.js';
export { parseConfigText, type SrsConfig } from './config/index.js';
export { ConfigError, TsrsError } from './core/errors.js';
export type { ClientType } from './app/stats/stats.js';
export { TSRS_VERSION, SRS_COMPAT_VERSION_STRING } from './core/version.js';
