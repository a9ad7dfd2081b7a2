// Public surface of app/srt: the SRT server of issue 14 (srt_server: publish and play over SRT).
export { SrtService, srtOptionsOf, type SrtServiceOptions } from './srt-service.js';
