// Fixed values of the transport stream tsrs writes (same as SRS's srs_kernel_ts.hpp), ISO/IEC 13818-1.

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** Transport packet payload bytes after the 4-byte header. */
export const TS_PAYLOAD_SIZE = 184;

export const TS_PID_PAT = 0x0000;
export const TS_PID_PMT = 0x1001;
export const TS_PID_VIDEO = 0x0100;
export const TS_PID_AUDIO = 0x0101;
export const TS_PID_NULL = 0x1fff;
export const TS_PROGRAM_NUMBER = 1;
export const TS_TRANSPORT_STREAM_ID = 1;

/** stream_type values of ISO/IEC 13818-1 Table 2-34 (plus H.265 from its Amendment 3). */
export const TsStreamType = {
  mpeg1Audio: 0x03,
  mpeg2Audio: 0x04,
  aacAdts: 0x0f,
  h264: 0x1b,
  h265: 0x24,
} as const;

/** PES stream_id (Table 2-22) of the first video / audio elementary stream. */
export const PES_STREAM_ID_VIDEO = 0xe0;
export const PES_STREAM_ID_AUDIO = 0xc0;

/** The 90 kHz system clock wraps at 2^33 ticks (~26.5 hours). */
export const TS_CLOCK_WRAP = 2 ** 33;
export const TS_TICKS_PER_MS = 90;
