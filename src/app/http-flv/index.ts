export { HttpRemux, clientIp } from './http-remux.js';
export { compileMount, matchMount, type Mount, type MountMatch, type RemuxFormat } from './mounts.js';
