// Public surface of transcode, ingest and exec.
export { FfmpegService, type FfmpegServiceOptions, type FfmpegJobInfo, type FfmpegJobKind } from './ffmpeg-service.js';
export { ProcessSupervisor, SupervisedProcess, type SupervisorOptions, type ProcessInfo, type ExitInfo } from './supervisor.js';
export { EngineError, transcodeCommand, copyCommand, ffmpegArgs, type FfmpegCommand } from './command-line.js';
export { planTranscodes, planIngest, planExec, type ProcessSpec } from './plans.js';
