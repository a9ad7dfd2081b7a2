// Worker mesh IPC (node:cluster process.send): what workers tell the primary and what the primary
// broadcasts back. Every message carries the `tsrsMesh` envelope field so other IPC is never mistaken
// for it; anything that does not parse is ignored by the receiver, with a log line.

/** Envelope marker and protocol version. */
export const MESH_ENVELOPE = 1;

/** The names of a stream: its key (streamKey) and the parts a relay pull needs. */
export interface StreamNames {
  key: string;
  vhost: string;
  app: string;
  stream: string;
}

/** Worker -> primary. */
export type WorkerToPrimary =
  | { tsrsMesh: 1; type: 'ready'; port: number }
  | ({ tsrsMesh: 1; type: 'publish' } & StreamNames)
  | { tsrsMesh: 1; type: 'unpublish'; key: string };

/** Primary -> workers: `owner` is the worker id (node:cluster) that has the publisher, `port` its relay port. */
export type PrimaryToWorker =
  | ({ tsrsMesh: 1; type: 'publish'; port: number; owner: number } & StreamNames)
  | { tsrsMesh: 1; type: 'unpublish'; key: string; owner: number };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 1024;
const isPort = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0 && (x as number) < 65536;
const isId = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** Whether a message is meant for the mesh at all (other IPC passes by silently). */
export function isMeshMessage(x: unknown): x is Record<string, unknown> {
  return isObject(x) && 'tsrsMesh' in x;
}

function streamNames(m: Record<string, unknown>): StreamNames | null {
  return isName(m.key) && isName(m.vhost) && isName(m.app) && isName(m.stream) ? { key: m.key, vhost: m.vhost, app: m.app, stream: m.stream } : null;
}

/** A worker's message as the primary gets it, or the reason it is not one. */
export function parseWorkerMessage(x: unknown): WorkerToPrimary | string {
  if (!isMeshMessage(x)) return 'not a mesh message';
  const m = x;
  if (m.tsrsMesh !== MESH_ENVELOPE) return `unknown mesh version ${String(m.tsrsMesh)}`;
  if (m.type === 'ready') return isPort(m.port) ? { tsrsMesh: 1, type: 'ready', port: m.port } : 'ready without a valid port';
  if (m.type === 'publish') {
    const n = streamNames(m);
    return n ? { tsrsMesh: 1, type: 'publish', ...n } : 'publish without valid stream names';
  }
  if (m.type === 'unpublish') return isName(m.key) ? { tsrsMesh: 1, type: 'unpublish', key: m.key } : 'unpublish without a key';
  return `unknown mesh message type ${JSON.stringify(m.type)}`;
}

/** The primary's message as a worker gets it, or the reason it is not one. */
export function parsePrimaryMessage(x: unknown): PrimaryToWorker | string {
  if (!isMeshMessage(x)) return 'not a mesh message';
  const m = x;
  if (m.tsrsMesh !== MESH_ENVELOPE) return `unknown mesh version ${String(m.tsrsMesh)}`;
  if (m.type === 'publish') {
    const n = streamNames(m);
    if (!n || !isPort(m.port) || !isId(m.owner)) return 'publish without valid stream names, port or owner';
    return { tsrsMesh: 1, type: 'publish', ...n, port: m.port, owner: m.owner };
  }
  if (m.type === 'unpublish') {
    return isName(m.key) && isId(m.owner) ? { tsrsMesh: 1, type: 'unpublish', key: m.key, owner: m.owner } : 'unpublish without a key or owner';
  }
  return `unknown mesh message type ${JSON.stringify(m.type)}`;
}

/** The query parameter a relay pull carries the mesh token in. */
export const MESH_TOKEN_PARAM = 'tsrs_mesh';
