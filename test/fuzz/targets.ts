// The fuzz targets: every parser that reads bytes from the network or from files, fed from real captures
// (test/fixtures: an ffmpeg RTMP publish, ffmpeg-made FLV/MP4; test/fuzz/corpus: ffmpeg-made TS, request
// heads captured from ffmpeg, curl, GStreamer and Node's fetch; conf/*.conf).
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { ConfigError, ProtocolError } from '../../src/core/errors.js';
import { parseConfigText } from '../../src/config/index.js';
import { parseAvcDecoderConfigurationRecord } from '../../src/kernel/codec/h264.js';
import { parseHevcDecoderConfigurationRecord } from '../../src/kernel/codec/h265.js';
import { parseAudioSpecificConfig } from '../../src/kernel/codec/aac.js';
import { decodeAmf0 } from '../../src/kernel/format/amf0.js';
import { decodeAmf3 } from '../../src/kernel/format/amf3.js';
import { FlvDemuxer, decodeScriptData, demuxFlv, parseFlvAudioTagHeader, parseFlvVideoTagHeader } from '../../src/kernel/format/flv.js';
import { TsDemuxer } from '../../src/kernel/format/mpegts/ts-demuxer.js';
import { audioFrameFromFlv, videoFrameFromFlv } from '../../src/kernel/media-frame.js';
import { ChunkDecoder } from '../../src/protocol/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../src/protocol/rtmp/chunk-encoder.js';
import { decodeCommand } from '../../src/protocol/rtmp/commands.js';
import { MessageType } from '../../src/protocol/rtmp/message.js';
import { RtmpServerSession } from '../../src/protocol/rtmp/server-session.js';
import { HttpListener } from '../../src/transport/http-listener.js';
import { findMp4Box, fixturesDir, readFixture } from '../fixtures/index.js';
import { splits, type FuzzTarget } from './harness.js';

const isProtocolError = (err: unknown): boolean => err instanceof ProtocolError;

function corpus(name: string): Buffer {
  return readFileSync(join(fixturesDir(), '..', 'fuzz', 'corpus', name));
}

const RTMP_HANDSHAKE = 1 + 1536 + 1536;
const rtmpCapture = readFixture('rtmp-publish-ffmpeg.bin');
const rtmpChunks = rtmpCapture.subarray(RTMP_HANDSHAKE);
const flvFiles = ['h264-aac.flv', 'mp3.flv', 'h264-444-interlaced.flv'].map(readFixture);
const rtmpMessages = new ChunkDecoder().push(rtmpChunks);
const flvTags = flvFiles.flatMap((f) => demuxFlv(f).tags);

/** The whole RTMP server session (handshake, chunks, commands, media) on ffmpeg's real publish. */
export const rtmpSession: FuzzTarget = {
  name: 'rtmp-session',
  // The session starts with the handshake; seeds are the capture cut to a few sizes so mutations also
  // land in the commands, not only in 48 KiB of media.
  seeds: [rtmpCapture.subarray(0, RTMP_HANDSHAKE + 1200), rtmpCapture.subarray(0, RTMP_HANDSHAKE + 6000), rtmpCapture],
  weight: 0.5,
  run(input, rand) {
    const s = new RtmpServerSession({ random: cryptoRandomBytes, nowMs: () => 0 });
    for (const piece of splits(input, rand)) {
      s.receive(piece);
      s.takeOutput();
    }
  },
  refused: isProtocolError,
};

/** The chunk stream alone (after the handshake), and each command message's AMF0. */
export const rtmpChunkStream: FuzzTarget = {
  name: 'rtmp-chunks',
  seeds: [rtmpChunks.subarray(0, 1500), rtmpChunks.subarray(0, 8000), rtmpChunks],
  weight: 0.5,
  run(input, rand) {
    const d = new ChunkDecoder();
    for (const piece of splits(input, rand)) {
      for (const m of d.push(piece)) if (m.typeId === MessageType.CommandAmf0) decodeCommand(m);
    }
  },
  refused: isProtocolError,
};

/**
 * Structure-aware: ffmpeg's publish re-chunked with one command's payload replaced by the input, so the
 * mutations reach connect/createStream/publish handling instead of dying in the chunk headers.
 */
const sessionPrefix = rtmpMessages.filter((m) => m.typeId !== MessageType.SetChunkSize).slice(0, 40);
const commandSlots = sessionPrefix.flatMap((m, i) => (m.typeId === MessageType.CommandAmf0 || m.typeId === MessageType.DataAmf0 ? [i] : []));
export const rtmpCommands: FuzzTarget = {
  name: 'rtmp-commands',
  seeds: commandSlots.map((i) => sessionPrefix[i]!.payload),
  run(input, rand) {
    const slot = commandSlots[Math.floor(rand() * commandSlots.length)]!;
    const enc = new ChunkEncoder();
    const out: Buffer[] = [rtmpCapture.subarray(0, RTMP_HANDSHAKE)];
    sessionPrefix.forEach((m, i) => enc.encode(i === slot ? { ...m, payload: input } : m, out));
    const s = new RtmpServerSession({ random: cryptoRandomBytes, nowMs: () => 0 });
    for (const piece of splits(Buffer.concat(out), rand)) {
      s.receive(piece);
      s.takeOutput();
    }
  },
  refused: isProtocolError,
};

export const amf0: FuzzTarget = {
  name: 'amf0',
  seeds: [
    ...rtmpMessages.filter((m) => m.typeId === MessageType.CommandAmf0 || m.typeId === MessageType.DataAmf0).map((m) => m.payload),
    ...flvTags.filter((t) => t.type === 18).map((t) => t.body),
  ],
  run(input) {
    decodeAmf0(input);
    try {
      decodeScriptData(input);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
    }
  },
  refused: isProtocolError,
};

// No AMF3 client was at hand to capture (ffmpeg and OBS speak AMF0): values written as Flash encodes them.
const s3 = (s: string): string => ((s.length << 1) | 1).toString(16).padStart(2, '0') + Buffer.from(s).toString('hex');
export const amf3: FuzzTarget = {
  name: 'amf3',
  seeds: [
    '00 01 02 03 04 7f 04 ff ff ff 7f 05 400921fb54442d18',
    '09 07 01 0a 13' + s3('Foo') + s3('x') + '04 05 0a 01 04 06 0a 02',
    '0a 0b 01' + s3('app') + '06' + s3('live') + s3('tcUrl') + '06' + s3('rtmp://h/live') + s3('n') + '05 3ff0000000000000 01',
    '09 03' + s3('a') + '04 01 01 04 02 0c 07 010203 0d 05 00 ffffffff 00000001 11 03 00 06' + s3('k') + '04 01',
    '08 01 0000000000000000 06 01 06 00 07 05 3c613e',
  ].map((h) => Buffer.from(h.replace(/\s+/g, ''), 'hex')),
  run(input) {
    decodeAmf3(input);
  },
  refused: isProtocolError,
};

/** FLV files, streamed in pieces; every tag then goes through the media-frame ingest parsers. */
export const flv: FuzzTarget = {
  name: 'flv',
  seeds: flvFiles,
  weight: 0.6,
  run(input, rand) {
    const d = new FlvDemuxer();
    for (const piece of splits(input, rand)) {
      for (const tag of d.push(piece)) {
        try {
          if (tag.type === 9) {
            parseFlvVideoTagHeader(tag.body);
            videoFrameFromFlv(tag.body, tag.timestamp);
          } else if (tag.type === 8) {
            parseFlvAudioTagHeader(tag.body);
            audioFrameFromFlv(tag.body, tag.timestamp);
          } else {
            decodeScriptData(tag.body);
          }
        } catch (err) {
          if (!isProtocolError(err)) throw err;
        }
      }
    }
  },
  refused: isProtocolError,
};

/** MPEG-TS made by ffmpeg (H.264+AAC, H.265), streamed in pieces. */
export const ts: FuzzTarget = {
  name: 'ts',
  seeds: [corpus('h264-aac.mpegts.bin'), corpus('h265.mpegts.bin')],
  // The demuxer resyncs on bad bytes and never throws.
  refuses: false,
  weight: 0.6,
  run(input, rand) {
    const d = new TsDemuxer();
    for (const piece of splits(input, rand)) d.push(piece);
    d.flush();
  },
  refused: isProtocolError,
};

/**
 * tsrs reads no MP4 file (it only writes them); what it parses from MP4 are the sample descriptions' codec
 * records: hvcC and avcC (also what RTMP/FLV sequence headers carry) and the AudioSpecificConfig.
 */
const avcSequenceHeader = flvTags.find((t) => t.type === 9 && t.body[1] === 0)!.body.subarray(5);
const aacSequenceHeader = flvTags.find((t) => t.type === 8 && t.body[1] === 0)!.body.subarray(2);
export const mp4CodecRecords: FuzzTarget = {
  name: 'mp4-records',
  seeds: [findMp4Box(readFixture('h265.mp4'), 'hvcC'), avcSequenceHeader, aacSequenceHeader],
  refuses: false,
  run(input) {
    // Every parser on every input: a record of one kind must not crash the others either.
    for (const parse of [parseHevcDecoderConfigurationRecord, parseAvcDecoderConfigurationRecord, parseAudioSpecificConfig]) {
      try {
        parse(input);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
    }
  },
  refused: isProtocolError,
};

/** Config files: the shipped ones (real configs), mutated as bytes and read as text. */
const confDir = join(fixturesDir(), '..', '..', 'conf');
export const config: FuzzTarget = {
  name: 'config',
  seeds: readdirSync(confDir)
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => readFileSync(join(confDir, f))),
  weight: 0.5,
  run(input) {
    const included = (path: string): string => {
      if (path.length > 64) throw new ConfigError(`include ${path.slice(0, 20)}…: no such file`);
      return 'listen 1935;';
    };
    parseConfigText(input.toString('latin1'), 'fuzz.conf', included, {});
  },
  refused: (err) => err instanceof ConfigError,
};

/**
 * HTTP request heads captured from ffmpeg, curl, GStreamer and Node's fetch, sent to a real HttpListener on
 * loopback. The listener must answer with a status line or close, never crash, and keep serving.
 */
export function httpHeadTarget(port: () => number): FuzzTarget {
  const heads = ['http-ffmpeg-flv.txt', 'http-curl.txt', 'http-gst.txt', 'http-node-fetch.txt'].map(corpus);
  return {
    name: 'http-head',
    seeds: heads,
    weight: 0.15,
    async run(input) {
      const answer = await exchange(port(), input);
      if (answer.length > 0 && !/^HTTP\/1\.1 \d{3} /.test(answer.toString('latin1'))) {
        throw new Error(`not an HTTP answer: ${JSON.stringify(answer.subarray(0, 80).toString('latin1'))}`);
      }
    },
    refused: () => false,
  };
}

/** Write, half-close, read to the end (bounded: a listener that hangs fails the target). */
export function exchange(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error('no answer and no close within 3 s'));
    }, 3000);
    c.on('data', (b: Buffer) => chunks.push(b));
    c.on('error', () => {});
    c.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    c.end(data);
  });
}

export function fuzzHttpListener(): HttpListener {
  return new HttpListener({
    host: '127.0.0.1',
    port: 0,
    limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500, maxHeaderSize: 8192 },
    onRequest: (req, res) => {
      req.resume();
      res.setHeader('Connection', 'close');
      res.end('ok');
    },
  });
}

export const PARSER_TARGETS: readonly FuzzTarget[] = [rtmpSession, rtmpChunkStream, rtmpCommands, amf0, amf3, flv, ts, mp4CodecRecords, config];
