// The server side of one RTMP connection, sans-I/O: bytes in, events and bytes out.
// It answers the protocol-level chatter itself (handshake, chunk size, acks, pings, FMLE helper calls,
// createStream) and hands the decisions that need the server (connect, publish, play) to the caller
// as events; the caller answers through accept*/reject* methods, which queue the replies.
// Time is an argument (`receive(bytes, now)`): the setup and publish timeouts are deadlines the caller
// reads from `nextTimeout()` and reports with `checkTimeout(now)`, so no timer lives here (issue 12 point 6).
import { Amf0EcmaArray, encodeAmf0, type Amf0Object, type Amf0Value } from '../../kernel/format/amf0.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { ChunkEncoder } from './chunk-encoder.js';
import {
  ChunkStreamId,
  StatusCode,
  commandMessage,
  dataMessage,
  decodeCommand,
  decodeData,
  onStatus,
  type CommandMessage,
} from './commands.js';
import { HandshakeServer } from './handshake.js';
import { AckTracker, TimestampUnwrappers, splitAggregate } from './session-common.js';
import {
  MessageType,
  UserControlEvent,
  decodeUserControl,
  encodeSetChunkSize,
  encodeSetPeerBandwidth,
  encodeUserControl,
  encodeWindowAckSize,
  type RtmpMessage,
} from './message.js';

export interface ConnectInfo {
  tcUrl: string;
  app: string;
  pageUrl: string;
  swfUrl: string;
  objectEncoding: number;
  /** The whole connect command object, for hooks and edge traversal. */
  commandObject: Amf0Object;
  /** Optional extra argument some clients send after the command object. */
  args: Amf0Value;
}

export type ServerSessionEvent =
  | { type: 'handshake'; complex: boolean }
  | { type: 'connect'; info: ConnectInfo }
  | { type: 'publish'; streamId: number; streamName: string; publishType: string; fmle: boolean }
  | { type: 'play'; streamId: number; streamName: string; start: number; duration: number; reset: boolean }
  | { type: 'pause'; streamId: number; paused: boolean; positionMs: number }
  /** FCUnpublish: the publisher is done, the connection may publish again. */
  | { type: 'unpublish'; streamId: number }
  /** deleteStream/closeStream: whatever runs on that stream id stops. */
  | { type: 'close-stream'; streamId: number }
  /** Audio (8), video (9) or data (18) message with its timestamp unwrapped past 32 bits. */
  | { type: 'media'; streamId: number; typeId: number; timestamp: number; payload: Buffer }
  /** A data message with onMetaData, already normalised to `onMetaData, object` (no @setDataFrame). */
  | { type: 'metadata'; streamId: number; timestamp: number; payload: Buffer; values: Amf0Value[] }
  | { type: 'call'; command: CommandMessage }
  /**
   * A deadline passed (from `checkTimeout`): no publish/play within the setup time (SRS: 30 s receive
   * timeout), or a publisher silent past `firstpkt_timeout`/`normal_timeout` (SRS error 1011).
   */
  | { type: 'timeout'; what: 'setup' | 'first-packet' | 'normal'; idleMs: number; limitMs: number };

export interface ServerSessionOptions {
  random: (n: number) => Buffer;
  /** Clock for the handshake's timestamps; default the `now` of the latest `receive`. */
  nowMs?: () => number;
  maxMessageSize?: number;
  /** When the connection was opened (ms), the start of the setup deadline. */
  openedAtMs?: number;
  /** A connection that neither publishes nor plays within this time times out; unset = never. */
  setupTimeoutMs?: number;
}

/** Publish deadlines (vhost publish.firstpkt_timeout / normal_timeout). */
export interface PublishTimeouts {
  /** When the publish started (ms). */
  nowMs: number;
  firstPacketTimeoutMs: number;
  normalTimeoutMs: number;
}

export interface AcceptConnectOptions {
  chunkSize: number;
  windowAckSize: number;
  peerBandwidth: number;
  /** `data` ECMA array of the connect result (server identity, SRS's fields). */
  serverInfo: Record<string, Amf0Value>;
}

type Phase = 'handshake' | 'chunks' | 'closed';

const FMS_VERSION = 'FMS/3,5,3,888';

export class RtmpServerSession {
  private phase: Phase = 'handshake';
  private readonly handshake: HandshakeServer;
  private readonly decoder: ChunkDecoder;
  /** The encoder for everything this side sends; players share it for media. */
  readonly encoder = new ChunkEncoder();
  private out: Buffer[] = [];
  private nextStreamId = 1;
  private connectTransactionId = 1;
  private objectEncoding = 0;
  private readonly acks = new AckTracker();
  private readonly unwrappers = new TimestampUnwrappers();
  /** FCPublish seen on this connection: the publisher speaks FMLE's dialect. */
  private fmle = false;
  /** The `now` of the latest receive/checkTimeout. */
  private lastNowMs: number;
  /** Setup deadline (absolute ms), until a publish or play is accepted. */
  private setupDeadlineMs: number | null;
  private readonly setupTimeoutMs: number;
  /** Publish timeouts in force, and when the last packet (or the publish start) arrived. */
  private publishTimeouts: PublishTimeouts | null = null;
  private lastPacketAtMs = 0;
  private gotFirstPacket = false;

  constructor(options: ServerSessionOptions) {
    this.lastNowMs = options.openedAtMs ?? 0;
    this.handshake = new HandshakeServer(options.random, options.nowMs ?? (() => this.lastNowMs));
    this.decoder = new ChunkDecoder({ maxMessageSize: options.maxMessageSize });
    this.setupTimeoutMs = options.setupTimeoutMs ?? 0;
    this.setupDeadlineMs = options.setupTimeoutMs ? this.lastNowMs + options.setupTimeoutMs : null;
  }

  get bytesReceived(): number {
    return this.decoder.bytesReceived;
  }

  /**
   * Feed bytes from the socket at time `now` (ms; default: the latest time given); returns what happened.
   * Throws ProtocolError on malformed input.
   */
  receive(bytes: Buffer, now: number = this.lastNowMs): ServerSessionEvent[] {
    const events: ServerSessionEvent[] = [];
    if (this.phase === 'closed') return events;
    this.lastNowMs = now;
    let data: Buffer | null = bytes;
    if (this.phase === 'handshake') {
      const r = this.handshake.receive(bytes);
      for (const b of r.send) this.out.push(b);
      if (!r.done) return events;
      this.phase = 'chunks';
      events.push({ type: 'handshake', complex: r.complex });
      data = r.rest;
      if (!data || data.length === 0) return events;
    }
    for (const msg of this.decoder.push(data)) this.onMessage(msg, events);
    this.maybeAcknowledge();
    if (this.publishTimeouts) {
      for (const ev of events) {
        if (ev.type === 'media' || ev.type === 'metadata') {
          this.lastPacketAtMs = now;
          this.gotFirstPacket = true;
          break;
        }
      }
    }
    return events;
  }

  /** The earliest deadline (absolute ms) the caller should call `checkTimeout` at, or null for none. */
  nextTimeout(): number | null {
    if (this.phase === 'closed') return null;
    const p = this.publishDeadline();
    if (this.setupDeadlineMs === null) return p;
    return p === null ? this.setupDeadlineMs : Math.min(p, this.setupDeadlineMs);
  }

  /** The deadlines passed at `now`, as `timeout` events (none, or the one that fired). */
  checkTimeout(now: number): ServerSessionEvent[] {
    if (this.phase === 'closed') return [];
    this.lastNowMs = Math.max(this.lastNowMs, now);
    const t = this.publishTimeouts;
    if (t) {
      const limitMs = this.gotFirstPacket ? t.normalTimeoutMs : t.firstPacketTimeoutMs;
      const idleMs = now - this.lastPacketAtMs;
      if (idleMs >= limitMs) return [{ type: 'timeout', what: this.gotFirstPacket ? 'normal' : 'first-packet', idleMs, limitMs }];
    }
    if (this.setupDeadlineMs !== null && now >= this.setupDeadlineMs) {
      return [{ type: 'timeout', what: 'setup', idleMs: now - (this.setupDeadlineMs - this.setupTimeoutMs), limitMs: this.setupTimeoutMs }];
    }
    return [];
  }

  private publishDeadline(): number | null {
    const t = this.publishTimeouts;
    if (!t) return null;
    return this.lastPacketAtMs + (this.gotFirstPacket ? t.normalTimeoutMs : t.firstPacketTimeoutMs);
  }

  /** The publish ended (unpublish, closeStream, republish): its timeouts no longer apply. */
  endPublish(): void {
    this.publishTimeouts = null;
  }

  /** Bytes queued for the socket since the last call (write them with one cork/uncork). */
  takeOutput(): Buffer[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  get hasOutput(): boolean {
    return this.out.length > 0;
  }

  close(): void {
    this.phase = 'closed';
    this.setupDeadlineMs = null;
    this.publishTimeouts = null;
  }

  // ---- answers to events -------------------------------------------------------------------

  acceptConnect(o: AcceptConnectOptions): void {
    this.send(encodeWindowAckSize(o.windowAckSize));
    this.send(encodeSetPeerBandwidth(o.peerBandwidth, 2));
    this.send(encodeSetChunkSize(o.chunkSize));
    this.encoder.outChunkSize = o.chunkSize;
    const props: Amf0Object = { fmsVer: FMS_VERSION, capabilities: 127, mode: 1 };
    const info: Amf0Object = {
      level: 'status',
      code: StatusCode.ConnectSuccess,
      description: 'Connection succeeded',
      objectEncoding: this.objectEncoding,
      data: new Amf0EcmaArray(o.serverInfo),
    };
    this.send(commandMessage(0, ChunkStreamId.OverConnection, '_result', this.connectTransactionId, props, info));
    // onBWDone: some Flash-era clients wait for it before going on.
    this.send(commandMessage(0, ChunkStreamId.OverConnection, 'onBWDone', 0, null));
  }

  rejectConnect(description: string, extra: Amf0Object = {}): void {
    this.send(
      commandMessage(0, ChunkStreamId.OverConnection, '_error', this.connectTransactionId, null, {
        level: 'error',
        code: StatusCode.ConnectRejected,
        description,
        ...extra,
      }),
    );
  }

  /**
   * RTMP 302 (behaviours.md §8): the client should reconnect at `tcUrl`/`url`. Sent as SRS does
   * (SrsRtmpServer::redirect): an `onStatus` call on stream 0, which SRS edges decode as a call packet
   * and follow; an `_error` answer would be taken for the connect result and ignored by them.
   */
  redirect(tcUrl: string, url: string): void {
    this.send(
      commandMessage(0, ChunkStreamId.OverStream, 'onStatus', 0, null, {
        level: 'error',
        code: StatusCode.ConnectRejected,
        description: 'RTMP 302 Redirect',
        ex: { code: 302, redirect: tcUrl, redirect2: url },
      }),
    );
  }

  /** Publish.Start; with `timeouts`, the publisher must send within them (`nextTimeout`). */
  acceptPublish(streamId: number, fmle: boolean, timeouts?: PublishTimeouts): void {
    this.setupDeadlineMs = null;
    if (timeouts) {
      this.publishTimeouts = timeouts;
      this.lastPacketAtMs = timeouts.nowMs;
      this.gotFirstPacket = false;
    }
    if (fmle) {
      this.send(
        commandMessage(streamId, ChunkStreamId.OverStream, 'onFCPublish', 0, null, {
          code: StatusCode.PublishStart,
          description: 'Started publishing stream.',
        }),
      );
    }
    this.send(onStatus(streamId, 'status', StatusCode.PublishStart, 'Started publishing stream.', { clientid: 'ASAICiss' }));
  }

  rejectPublish(streamId: number, code: string, description: string): void {
    this.send(onStatus(streamId, 'error', code, description));
  }

  acceptPlay(streamId: number, streamName: string): void {
    this.setupDeadlineMs = null;
    this.send(encodeUserControl(UserControlEvent.StreamBegin, streamId));
    this.send(onStatus(streamId, 'status', StatusCode.PlayReset, 'Playing and resetting stream.', { details: streamName, clientid: 'ASAICiss' }));
    this.send(onStatus(streamId, 'status', StatusCode.PlayStart, 'Started playing stream.', { details: streamName, clientid: 'ASAICiss' }));
    this.send(dataMessage(streamId, ChunkStreamId.OverStream, '|RtmpSampleAccess', true, true));
    this.send(dataMessage(streamId, ChunkStreamId.OverStream, 'onStatus', { code: StatusCode.DataStart }));
  }

  rejectPlay(streamId: number, code: string, description: string): void {
    this.send(onStatus(streamId, 'error', code, description));
  }

  status(streamId: number, level: 'status' | 'error' | 'warning', code: string, description: string, extra: Amf0Object = {}): void {
    this.send(onStatus(streamId, level, code, description, extra));
  }

  streamEof(streamId: number): void {
    this.send(encodeUserControl(UserControlEvent.StreamEOF, streamId));
  }

  /** Queue any message (media for players goes through here or straight through `encoder`). */
  send(msg: RtmpMessage): void {
    this.encoder.encode(msg, this.out);
  }

  // ---- incoming ------------------------------------------------------------------------------

  private onMessage(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    switch (msg.typeId) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.SetPeerBandwidth:
        return; // the decoder applied chunk size/abort; acks and bandwidth hints need nothing from us
      case MessageType.WindowAckSize:
        this.acks.onWindowAckSize(msg);
        return;
      case MessageType.UserControl:
        return this.onUserControl(msg);
      case MessageType.Audio:
      case MessageType.Video:
        events.push({ type: 'media', streamId: msg.streamId, typeId: msg.typeId, timestamp: this.unwrap(msg), payload: msg.payload });
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        return this.onData(msg, events);
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        return this.onCommand(decodeCommand(msg), events);
      case MessageType.Aggregate:
        return this.onAggregate(msg, events);
      default:
        return; // shared objects and unknown types are ignored, as SRS does
    }
  }

  private unwrap(msg: RtmpMessage): number {
    return this.unwrappers.unwrap(msg.typeId, msg.timestamp);
  }

  private onUserControl(msg: RtmpMessage): void {
    const uc = decodeUserControl(msg.payload);
    if (uc.event === UserControlEvent.PingRequest) {
      this.send(encodeUserControl(UserControlEvent.PingResponse, uc.value));
    }
  }

  private onData(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    let values: Amf0Value[];
    try {
      values = decodeData(msg);
    } catch (err) {
      // A broken data message is not worth the connection (some encoders send junk cue points).
      return;
    }
    if (values[0] === '@setDataFrame') values = values.slice(1);
    if (values[0] === 'onMetaData') {
      const payload = encodeAmf0(...values);
      events.push({ type: 'metadata', streamId: msg.streamId, timestamp: this.unwrap(msg), payload, values });
      return;
    }
    // Other data (cue points, onTextData...) passes through to players as is.
    events.push({ type: 'media', streamId: msg.streamId, typeId: MessageType.DataAmf0, timestamp: this.unwrap(msg), payload: encodeAmf0(...values) });
  }

  private onAggregate(msg: RtmpMessage, events: ServerSessionEvent[]): void {
    for (const part of splitAggregate(msg.payload, this.unwrap(msg))) {
      if (part.typeId === MessageType.Audio || part.typeId === MessageType.Video) {
        events.push({ type: 'media', streamId: msg.streamId, typeId: part.typeId, timestamp: part.timestamp, payload: part.payload });
      } else if (part.typeId === MessageType.DataAmf0) {
        this.onData({ ...msg, typeId: part.typeId, payload: part.payload, timestamp: part.timestamp >>> 0 }, events);
      }
    }
  }

  private onCommand(cmd: CommandMessage, events: ServerSessionEvent[]): void {
    switch (cmd.name) {
      case 'connect': {
        const obj = (cmd.commandObject && typeof cmd.commandObject === 'object' && !Array.isArray(cmd.commandObject) && !(cmd.commandObject instanceof Date)
          ? cmd.commandObject
          : {}) as Amf0Object;
        this.connectTransactionId = cmd.transactionId || 1;
        this.objectEncoding = typeof obj.objectEncoding === 'number' ? obj.objectEncoding : 0;
        events.push({
          type: 'connect',
          info: {
            tcUrl: str(obj.tcUrl),
            app: str(obj.app),
            pageUrl: str(obj.pageUrl),
            swfUrl: str(obj.swfUrl),
            objectEncoding: this.objectEncoding,
            commandObject: obj,
            args: cmd.args[0] ?? null,
          },
        });
        return;
      }
      case 'createStream': {
        const id = this.nextStreamId++;
        this.send(commandMessage(0, ChunkStreamId.OverConnection, '_result', cmd.transactionId, null, id));
        return;
      }
      case 'releaseStream':
      case 'FCPublish':
        if (cmd.name === 'FCPublish') this.fmle = true;
        this.send(commandMessage(0, ChunkStreamId.OverConnection, '_result', cmd.transactionId, null, undefined));
        return;
      case 'FCUnpublish':
        this.send(
          commandMessage(cmd.streamId, ChunkStreamId.OverStream, 'onFCUnpublish', 0, null, {
            code: StatusCode.UnpublishSuccess,
            description: 'Stop publishing stream.',
          }),
        );
        this.send(commandMessage(cmd.streamId, ChunkStreamId.OverConnection, '_result', cmd.transactionId, null, undefined));
        events.push({ type: 'unpublish', streamId: cmd.streamId });
        return;
      case 'publish': {
        const name = str(cmd.args[0]);
        const publishType = typeof cmd.args[1] === 'string' ? cmd.args[1] : 'live';
        events.push({ type: 'publish', streamId: cmd.streamId || 1, streamName: name, publishType, fmle: this.fmle });
        return;
      }
      case 'play': {
        const name = str(cmd.args[0]);
        const start = typeof cmd.args[1] === 'number' ? cmd.args[1] : -2;
        const duration = typeof cmd.args[2] === 'number' ? cmd.args[2] : -1;
        const reset = typeof cmd.args[3] === 'boolean' ? cmd.args[3] : true;
        events.push({ type: 'play', streamId: cmd.streamId || 1, streamName: name, start, duration, reset });
        return;
      }
      case 'pause': {
        const paused = cmd.args[0] === true;
        const positionMs = typeof cmd.args[1] === 'number' ? cmd.args[1] : 0;
        this.send(
          onStatus(
            cmd.streamId,
            'status',
            paused ? StatusCode.PauseNotify : StatusCode.UnpauseNotify,
            paused ? 'Paused stream.' : 'Unpaused stream.',
          ),
        );
        events.push({ type: 'pause', streamId: cmd.streamId, paused, positionMs });
        return;
      }
      case 'deleteStream':
      case 'closeStream': {
        const id = cmd.name === 'deleteStream' && typeof cmd.args[0] === 'number' ? cmd.args[0] : cmd.streamId;
        events.push({ type: 'close-stream', streamId: id });
        return;
      }
      case 'getStreamLength':
      case 'checkbw':
      case '_checkbw':
        if (cmd.transactionId > 0) this.send(commandMessage(0, ChunkStreamId.OverConnection, '_result', cmd.transactionId, null, 0));
        return;
      case 'receiveAudio':
      case 'receiveVideo':
      case '_result':
      case '_error':
      case 'onBWDone':
      case '_onbwcheck':
      case '_onbwdone':
        return;
      default:
        events.push({ type: 'call', command: cmd });
    }
  }

  private maybeAcknowledge(): void {
    const ack = this.acks.due(this.decoder.bytesReceived);
    if (ack) this.send(ack);
  }
}

function str(v: Amf0Value | undefined): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
