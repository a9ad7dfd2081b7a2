// The client side of one RTMP connection, sans-I/O: the forwarder and the edge speak it to upstream
// servers (our own, SRS, nginx-rtmp...). It runs the whole dialogue itself once `start()` is called:
// handshake, connect (with optional extra arguments such as SRS's debug_srs_upnode fields), then
// FMLE's publish sequence (releaseStream, FCPublish, createStream, publish) or createStream + play,
// and reports progress as events. It follows SRS's client (srs_protocol_rtmp_stack.cpp SrsRtmpClient)
// for the order and shape of what it sends.
//
// Time is an argument, as in the server session (issue 12 point 6): `start(now)`/`receive(bytes, now)` carry
// the clock, the setup and idle timeouts are deadlines the caller reads from `nextTimeout()` and reports
// with `checkTimeout(now)`, so no timer lives here.
import { ErrorCode, ProtocolError, TsrsError } from '../../core/errors.js';
import { Amf0EcmaArray, encodeAmf0, type Amf0Object, type Amf0Value } from '../../kernel/format/amf0.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { ChunkEncoder } from './chunk-encoder.js';
import { ChunkStreamId, StatusCode, commandMessage, decodeCommand, decodeData, type CommandMessage } from './commands.js';
import { HandshakeClient } from './handshake.js';
import { AckTracker, TimestampUnwrappers, splitAggregate } from './session-common.js';
import {
  DEFAULT_CHUNK_SIZE,
  MessageType,
  UserControlEvent,
  decodeUserControl,
  encodeSetChunkSize,
  encodeUserControl,
  encodeWindowAckSize,
  type RtmpMessage,
} from './message.js';

/** `connect` stops after a successful connect (SRS's edge token traverse checks only that). */
export type ClientMode = 'publish' | 'play' | 'connect';

export interface ClientSessionOptions {
  random: (n: number) => Buffer;
  /** Clock for the handshake's timestamps; default the `now` of the latest start/receive/checkTimeout. */
  nowMs?: () => number;
  mode: ClientMode;
  /** tcUrl of the connect command, `rtmp://host[:port]/app`. */
  tcUrl: string;
  app: string;
  /** Name given to publish/play, with its query (`cam1?token=x&vhost=a.com`). */
  streamName: string;
  /** An extra AMF0 value after the connect command object (SRS: the edge's identity, debug_srs_upnode). */
  connectArgs?: Amf0Value;
  /** Properties merged into the connect command object (pageUrl, swfUrl, flashVer...). */
  connectProperties?: Amf0Object;
  /** Chunk size this side sends with; announced after createStream as SRS does (default 60000). */
  chunkSize?: number;
  /** Window Acknowledgement Size announced to the server after connect (default 2500000, as SRS). */
  windowAckSize?: number;
  /** Play: the buffer length announced with SetBufferLength (default 1000 ms, as SRS). */
  bufferLengthMs?: number;
  /** Complex (digest) handshake, as Flash, FFmpeg and SRS send it (default true). */
  complexHandshake?: boolean;
  maxMessageSize?: number;
  /** When the attempt began (ms; before the TCP connect), the start of the setup deadline. */
  openedAtMs?: number;
  /** No publish/play start (connect mode: no connect result) within this time times out; unset/0 = never. */
  setupTimeoutMs?: number;
  /** Play: nothing received for this long once playing times out; unset/0 = never. */
  idleTimeoutMs?: number;
}

export type ClientPhase = 'idle' | 'handshake' | 'connect' | 'create-stream' | 'start' | 'active' | 'failed' | 'closed';

export type ClientSessionEvent =
  | { type: 'handshake'; complex: boolean }
  /** connect succeeded; `serverInfo` is the result's `data` (SRS identity) when the server sent one. */
  | { type: 'connected'; info: Amf0Object; serverInfo: Record<string, Amf0Value> }
  | { type: 'stream-created'; streamId: number }
  /** NetStream.Publish.Start: media may be sent. */
  | { type: 'publishing'; streamId: number }
  /** NetStream.Play.Start (or the first media when a server skips it). */
  | { type: 'playing'; streamId: number }
  /** Every onStatus the server sends, including the ones that also raise another event. */
  | { type: 'status'; streamId: number; level: string; code: string; description: string; info: Amf0Object }
  /** Audio (8) or video (9) with its timestamp unwrapped past 32 bits. */
  | { type: 'media'; typeId: number; timestamp: number; payload: Buffer }
  /** onMetaData, normalised to `onMetaData, object` (no @setDataFrame). */
  | { type: 'metadata'; timestamp: number; payload: Buffer; values: Amf0Value[] }
  /** Any other data message (cue points, onTextData...), AMF0 values as received. */
  | { type: 'data'; timestamp: number; name: string; payload: Buffer; values: Amf0Value[] }
  /** RTMP 302 (behaviours.md §8): reconnect at `url` (redirect2, else redirect). */
  | { type: 'redirect'; url: string; tcUrl: string; info: Amf0Object }
  /** The server refused a step (`_error`, or an error onStatus before media flows). The session is failed. */
  | { type: 'error'; phase: ClientPhase; code: string; description: string; info: Amf0Object }
  /** A command the session does not handle itself (e.g. `close`, custom calls). */
  | { type: 'call'; command: CommandMessage }
  /**
   * A deadline passed (from `checkTimeout`): no start within the setup time, or a player's upstream silent
   * for the idle time. Same shape as the server session's timeout event. The session is failed.
   */
  | { type: 'timeout'; what: 'setup' | 'idle'; idleMs: number; limitMs: number };

const DEFAULT_WINDOW_ACK_SIZE = 2_500_000;
const DEFAULT_OUT_CHUNK_SIZE = 60_000;
const DEFAULT_BUFFER_LENGTH_MS = 1000;
/** SRS's client identity in connect (SrsRtmpClient::connect_app). */
const FLASH_VERSION = 'WIN 15,0,0,239';

const TXN_CONNECT = 1;

function isObject(v: Amf0Value | undefined): v is Amf0Object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Amf0EcmaArray);
}

function str(v: Amf0Value | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** The redirect target in a status/error object (`ex.redirect2`, else `ex.redirect`), or ''. */
export function redirectTarget(info: Amf0Object): { url: string; tcUrl: string } | null {
  const ex = info.ex;
  if (!isObject(ex)) return null;
  const redirect2 = str(ex.redirect2);
  const redirect = str(ex.redirect);
  if (!redirect2 && !redirect) return null;
  return { url: redirect2 || redirect, tcUrl: redirect || redirect2 };
}

/**
 * Split an RTMP URL the way SRS's clients do (srs_parse_rtmp_url): the last path segment (with the query)
 * is the stream name, the rest is the tcUrl. `rtmp://h:1935/live/cam1?k=v` gives tcUrl
 * `rtmp://h:1935/live`, app `live`, name `cam1?k=v`.
 */
export function splitRtmpUrl(url: string): { tcUrl: string; app: string; streamName: string; host: string; port: number } {
  const m = url.match(/^rtmp:\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?(\/[^?#]*)?([?#].*)?$/i);
  if (!m) throw new TsrsError(ErrorCode.RtmpNoRequest, `not an RTMP URL: ${url}`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = m[2] ? Number(m[2]) : 1935;
  const path = (m[3] ?? '').replace(/^\/+/, '');
  const query = m[4] ?? '';
  const slash = path.lastIndexOf('/');
  const app = slash >= 0 ? path.slice(0, slash) : path;
  const stream = slash >= 0 ? path.slice(slash + 1) : '';
  const authority = m[2] ? `${m[1]}:${port}` : m[1]!;
  return { tcUrl: `rtmp://${authority}/${app}`, app, streamName: `${stream}${query}`, host, port };
}

export class RtmpClientSession {
  private phaseValue: ClientPhase = 'idle';
  private readonly handshake: HandshakeClient;
  private readonly decoder: ChunkDecoder;
  /** The encoder for everything this side sends (commands and media share it: one chunk stream state). */
  readonly encoder = new ChunkEncoder();
  private out: Buffer[] = [];
  private txn = TXN_CONNECT;
  private createStreamTxn = 0;
  private streamIdValue = 0;
  private readonly acks = new AckTracker();
  private readonly unwrappers = new TimestampUnwrappers();
  private readonly outChunkSize: number;
  /** The `now` of the latest start/receive/checkTimeout. */
  private lastNowMs: number;
  /** When the latest bytes arrived (start of the idle deadline). */
  private lastRecvMs: number;
  private readonly openedAtMs: number;
  private readonly setupTimeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly options: ClientSessionOptions) {
    this.lastNowMs = options.openedAtMs ?? 0;
    this.lastRecvMs = this.lastNowMs;
    this.openedAtMs = this.lastNowMs;
    this.setupTimeoutMs = Math.max(0, options.setupTimeoutMs ?? 0);
    this.idleTimeoutMs = options.mode === 'play' ? Math.max(0, options.idleTimeoutMs ?? 0) : 0;
    this.handshake = new HandshakeClient(options.random, options.nowMs ?? (() => this.lastNowMs), { complex: options.complexHandshake ?? true });
    this.decoder = new ChunkDecoder({ maxMessageSize: options.maxMessageSize });
    this.outChunkSize = options.chunkSize ?? DEFAULT_OUT_CHUNK_SIZE;
  }

  get phase(): ClientPhase {
    return this.phaseValue;
  }

  /** The message stream id the server gave (0 until createStream is answered). */
  get streamId(): number {
    return this.streamIdValue;
  }

  get bytesReceived(): number {
    return this.decoder.bytesReceived;
  }

  /** Queue C0+C1 (TCP is up, at `now`); the rest of the dialogue follows from what the server answers. */
  start(now: number = this.lastNowMs): void {
    if (this.phaseValue !== 'idle') throw new TsrsError(ErrorCode.RtmpHandshake, 'client session started twice');
    this.lastNowMs = now;
    this.phaseValue = 'handshake';
    this.out.push(this.handshake.start());
  }

  /**
   * Feed bytes from the socket at time `now` (ms; default: the latest time given); returns what happened.
   * Throws ProtocolError on malformed input.
   */
  receive(bytes: Buffer, now: number = this.lastNowMs): ClientSessionEvent[] {
    const events: ClientSessionEvent[] = [];
    if (this.phaseValue === 'closed' || this.phaseValue === 'idle') return events;
    this.lastNowMs = now;
    // Any bytes count as life (the old socket-level idle check did the same).
    this.lastRecvMs = now;
    let data: Buffer | null = bytes;
    if (this.phaseValue === 'handshake') {
      const r = this.handshake.receive(bytes);
      for (const b of r.send) this.out.push(b);
      if (!r.done) return events;
      events.push({ type: 'handshake', complex: r.complex });
      this.sendConnect();
      data = r.rest;
      if (!data || data.length === 0) return events;
    }
    for (const msg of this.decoder.push(data)) this.onMessage(msg, events);
    this.maybeAcknowledge();
    return events;
  }

  /**
   * The earliest deadline (absolute ms) the caller should call `checkTimeout` at, or undefined for none.
   * Never a passed deadline after `checkTimeout` reported it: a timeout fails the session.
   */
  nextTimeout(): number | undefined {
    switch (this.phaseValue) {
      case 'closed':
      case 'failed':
        return undefined;
      case 'active':
        return this.idleTimeoutMs > 0 ? this.lastRecvMs + this.idleTimeoutMs : undefined;
      default:
        return this.setupTimeoutMs > 0 ? this.openedAtMs + this.setupTimeoutMs : undefined;
    }
  }

  /** The deadline passed at `now`, as a `timeout` event (none, or the one that fired; the session is then failed). */
  checkTimeout(now: number): ClientSessionEvent[] {
    const at = this.nextTimeout();
    this.lastNowMs = Math.max(this.lastNowMs, now);
    if (at === undefined || now < at) return [];
    const setup = this.phaseValue !== 'active';
    this.phaseValue = 'failed';
    return setup
      ? [{ type: 'timeout', what: 'setup', idleMs: now - this.openedAtMs, limitMs: this.setupTimeoutMs }]
      : [{ type: 'timeout', what: 'idle', idleMs: now - this.lastRecvMs, limitMs: this.idleTimeoutMs }];
  }

  /** Bytes queued for the socket since the last call. */
  takeOutput(): Buffer[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  get hasOutput(): boolean {
    return this.out.length > 0;
  }

  /**
   * Encode one media message (audio 8, video 9, data 18) on the publishing stream. With `out`, the queued
   * control output is moved there first and the chunks follow, so wire order matches encode order and a
   * batch of frames goes out in one write.
   */
  writeMedia(typeId: number, timestamp: number, payload: Buffer, out?: Buffer[]): void {
    if (this.phaseValue !== 'active' || this.options.mode !== 'publish') {
      throw new TsrsError(ErrorCode.RtmpNoRequest, `cannot send media in phase ${this.phaseValue}`);
    }
    const target = out ?? this.out;
    if (out && this.out.length) {
      for (const b of this.out) out.push(b);
      this.out = [];
    }
    const chunkStreamId =
      typeId === MessageType.Video ? ChunkStreamId.Video : typeId === MessageType.Audio ? ChunkStreamId.Audio : ChunkStreamId.OverStream;
    // RTMP carries 32 bits; our timeline is wider and the wrap is what the protocol expects.
    this.encoder.encode({ typeId, streamId: this.streamIdValue, timestamp: timestamp % 0x100000000, chunkStreamId, payload }, target);
  }

  /** Publisher done: FCUnpublish and deleteStream, as FMLE ends a session. */
  unpublish(): void {
    if (this.options.mode !== 'publish' || this.streamIdValue === 0 || this.phaseValue === 'closed') return;
    const name = this.options.streamName;
    this.send(commandMessage(0, ChunkStreamId.OverConnection, 'FCUnpublish', this.nextTxn(), null, name));
    this.send(commandMessage(0, ChunkStreamId.OverConnection, 'deleteStream', 0, null, this.streamIdValue));
  }

  close(): void {
    this.phaseValue = 'closed';
  }

  // ---- outgoing dialogue ---------------------------------------------------------------------

  private nextTxn(): number {
    return ++this.txn;
  }

  private send(msg: RtmpMessage): void {
    this.encoder.encode(msg, this.out);
  }

  private sendConnect(): void {
    const o = this.options;
    const props: Amf0Object = {
      app: o.app,
      flashVer: FLASH_VERSION,
      swfUrl: '',
      tcUrl: o.tcUrl,
      fpad: false,
      capabilities: 239,
      audioCodecs: 3575,
      videoCodecs: 252,
      videoFunction: 1,
      pageUrl: '',
      objectEncoding: 0,
      ...o.connectProperties,
    };
    const args: Amf0Value[] = o.connectArgs !== undefined && o.connectArgs !== null ? [o.connectArgs] : [];
    this.send(commandMessage(0, ChunkStreamId.OverConnection, 'connect', TXN_CONNECT, props, ...args));
    this.send(encodeWindowAckSize(o.windowAckSize ?? DEFAULT_WINDOW_ACK_SIZE));
    this.phaseValue = 'connect';
  }

  private afterConnect(): void {
    if (this.options.mode === 'connect') {
      this.phaseValue = 'active';
      return;
    }
    const name = this.options.streamName;
    if (this.options.mode === 'publish') {
      // FMLE's sequence: some servers (nginx-rtmp's FCPublish handler, SRS's identify) key on it.
      this.send(commandMessage(0, ChunkStreamId.OverConnection, 'releaseStream', this.nextTxn(), null, name));
      this.send(commandMessage(0, ChunkStreamId.OverConnection, 'FCPublish', this.nextTxn(), null, name));
    }
    this.createStreamTxn = this.nextTxn();
    this.send(commandMessage(0, ChunkStreamId.OverConnection, 'createStream', this.createStreamTxn, null));
    this.phaseValue = 'create-stream';
  }

  private afterCreateStream(streamId: number): void {
    const name = this.options.streamName;
    this.streamIdValue = streamId;
    if (this.options.mode === 'publish') {
      this.announceChunkSize();
      this.send(commandMessage(streamId, ChunkStreamId.OverStream, 'publish', 0, null, name, 'live'));
    } else {
      this.send(commandMessage(streamId, ChunkStreamId.OverStream, 'play', 0, null, name, -2, -1, true));
      this.send(encodeUserControl(UserControlEvent.SetBufferLength, streamId, this.options.bufferLengthMs ?? DEFAULT_BUFFER_LENGTH_MS));
      this.announceChunkSize();
    }
    this.phaseValue = 'start';
  }

  private announceChunkSize(): void {
    if (this.outChunkSize === DEFAULT_CHUNK_SIZE) return;
    this.send(encodeSetChunkSize(this.outChunkSize));
    this.encoder.outChunkSize = this.outChunkSize;
  }

  // ---- incoming ------------------------------------------------------------------------------

  private onMessage(msg: RtmpMessage, events: ClientSessionEvent[]): void {
    switch (msg.typeId) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.SetPeerBandwidth:
        return; // the decoder applied chunk size/abort; the rest needs nothing from a client
      case MessageType.WindowAckSize:
        this.acks.onWindowAckSize(msg);
        return;
      case MessageType.UserControl: {
        const uc = decodeUserControl(msg.payload);
        if (uc.event === UserControlEvent.PingRequest) this.send(encodeUserControl(UserControlEvent.PingResponse, uc.value));
        return;
      }
      case MessageType.Audio:
      case MessageType.Video:
        this.onMedia(msg.typeId, this.unwrap(msg.typeId, msg.timestamp), msg.payload, events);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.onData(msg, this.unwrap(MessageType.DataAmf0, msg.timestamp), events);
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(decodeCommand(msg), events);
        return;
      case MessageType.Aggregate:
        this.onAggregate(msg, events);
        return;
      default:
        return;
    }
  }

  private unwrap(typeId: number, ts32: number): number {
    return this.unwrappers.unwrap(typeId, ts32);
  }

  private onMedia(typeId: number, timestamp: number, payload: Buffer, events: ClientSessionEvent[]): void {
    if (this.options.mode === 'play' && this.phaseValue === 'start') {
      // Some servers start sending without NetStream.Play.Start; media is proof enough.
      this.phaseValue = 'active';
      events.push({ type: 'playing', streamId: this.streamIdValue });
    }
    events.push({ type: 'media', typeId, timestamp, payload });
  }

  private onData(msg: RtmpMessage, timestamp: number, events: ClientSessionEvent[]): void {
    let values: Amf0Value[];
    try {
      values = decodeData(msg);
    } catch {
      return; // a broken data message is not worth the connection
    }
    if (values[0] === '@setDataFrame') values = values.slice(1);
    const name = str(values[0]);
    if (name === 'onMetaData') {
      events.push({ type: 'metadata', timestamp, payload: encodeAmf0(...values), values });
      return;
    }
    // Servers' own notes to players, not stream content.
    if (name === '|RtmpSampleAccess' || name === 'onStatus') return;
    events.push({ type: 'data', timestamp, name, payload: encodeAmf0(...values), values });
  }

  private onAggregate(msg: RtmpMessage, events: ClientSessionEvent[]): void {
    for (const part of splitAggregate(msg.payload, this.unwrap(MessageType.Aggregate, msg.timestamp))) {
      if (part.typeId === MessageType.Audio || part.typeId === MessageType.Video) this.onMedia(part.typeId, part.timestamp, part.payload, events);
      else if (part.typeId === MessageType.DataAmf0) this.onData({ ...msg, typeId: part.typeId, payload: part.payload }, part.timestamp, events);
    }
  }

  private fail(phase: ClientPhase, info: Amf0Object, events: ClientSessionEvent[]): void {
    const target = redirectTarget(info);
    this.phaseValue = 'failed';
    if (target) {
      events.push({ type: 'redirect', url: target.url, tcUrl: target.tcUrl, info });
      return;
    }
    events.push({ type: 'error', phase, code: str(info.code), description: str(info.description), info });
  }

  private onCommand(cmd: CommandMessage, events: ClientSessionEvent[]): void {
    const info = isObject(cmd.args[0]) ? cmd.args[0] : {};
    switch (cmd.name) {
      case '_result':
        if (cmd.transactionId === TXN_CONNECT && this.phaseValue === 'connect') {
          const data = info.data;
          const serverInfo = data instanceof Amf0EcmaArray ? data.entries : isObject(data) ? data : {};
          events.push({ type: 'connected', info, serverInfo });
          this.afterConnect();
        } else if (cmd.transactionId === this.createStreamTxn && this.phaseValue === 'create-stream') {
          const id = cmd.args[0];
          if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
            throw new ProtocolError(ErrorCode.RtmpMessageDecode, `createStream answered with a bad stream id ${String(id)}`);
          }
          events.push({ type: 'stream-created', streamId: id });
          this.afterCreateStream(id);
        }
        return; // releaseStream/FCPublish/FCUnpublish results need nothing
      case '_error': {
        const phase = this.phaseValue;
        // releaseStream/FCPublish refused by servers that do not know FMLE's calls: harmless.
        if (cmd.transactionId !== TXN_CONNECT && cmd.transactionId !== this.createStreamTxn && !redirectTarget(info)) return;
        this.fail(phase, info, events);
        return;
      }
      case 'onStatus':
        this.onStatus(cmd.streamId, info, events);
        return;
      case 'onBWDone':
      case 'onFCPublish':
      case 'onFCUnpublish':
      case '_onbwcheck':
      case '_onbwdone':
        return;
      default:
        events.push({ type: 'call', command: cmd });
    }
  }

  private onStatus(streamId: number, info: Amf0Object, events: ClientSessionEvent[]): void {
    const level = str(info.level);
    const code = str(info.code);
    events.push({ type: 'status', streamId, level, code, description: str(info.description), info });
    if (level === 'error') {
      // A 302 may come at any time (SRS's origin cluster answers it after Play.Start).
      if (redirectTarget(info) || this.phaseValue !== 'active') this.fail(this.phaseValue, info, events);
      return;
    }
    if (this.phaseValue !== 'start') return;
    if (this.options.mode === 'publish' && code === StatusCode.PublishStart) {
      this.phaseValue = 'active';
      events.push({ type: 'publishing', streamId: this.streamIdValue });
    } else if (this.options.mode === 'play' && code === StatusCode.PlayStart) {
      this.phaseValue = 'active';
      events.push({ type: 'playing', streamId: this.streamIdValue });
    }
  }

  private maybeAcknowledge(): void {
    const ack = this.acks.due(this.decoder.bytesReceived);
    if (ack) this.send(ack);
  }
}
