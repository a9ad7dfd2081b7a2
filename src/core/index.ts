export * from './errors.js';
export * from './byte-reader.js';
export * from './byte-writer.js';
export * from './logger.js';
export * from "./version.js";
