// Worker mesh: several node:cluster workers serve as one server (see docs/cluster.md).
export { MeshDirectory, type DirectoryEntry, type DirectoryOutput } from './directory.js';
export { MESH_TOKEN_PARAM, isMeshMessage, parsePrimaryMessage, parseWorkerMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';
export { MeshNode, meshTokenAdmits, type MeshOptions } from './mesh-node.js';
export { RelayPuller } from './relay-puller.js';
