// The admission API every protocol calls (issue 12 point 4): who asks, what for, and the tickets it gets.
import type { Logger } from '../../core/logger.js';
import type { Amf0Value } from '../../kernel/format/amf0.js';
import type { VhostConfig } from '../../config/index.js';
import type { HookClientInfo } from '../hooks/http-hooks.js';
import type { ClientStat, ClientType } from '../stats/stats.js';

/** Which protocol a client speaks (logs; connection-level hooks are chosen by `connectHooks`). */
export type AdmissionProto = 'rtmp' | 'http' | 'http-flv' | 'hls' | 'webrtc' | 'srt' | 'caster';
export type AdmissionAction = 'publish' | 'play';

/** Who asks: one client of the server (a TCP connection, an HTTP viewer, an HLS or RTC/SRT session). */
export interface AdmissionClient {
  proto: AdmissionProto;
  /** Context id: `client_id` of hooks, `id` in /api/v1/clients, the log prefix. */
  id: string;
  ip: string;
  log: Logger;
  /** Record fields as the client first shows them (RTMP fills them at connect with `describe`). */
  vhost?: string;
  tcUrl?: string;
  pageUrl?: string;
  swfUrl?: string;
  sendBytes(): number;
  recvBytes(): number;
  /** Disconnect (API DELETE /api/v1/clients/<id>); the protocol then closes its ticket. */
  kick(reason: string): void;
  droppedFrames?(): number;
  /**
   * Connection-level callbacks (RTMP, SRT): `refer.all`, on_connect and the edge token traverse before
   * the first publish/play, on_close when the client goes. HTTP streams, HLS and WebRTC have none.
   */
  connectHooks?: boolean;
}

/** What a client asks for: one stream, to publish or to play. */
export interface AdmissionRequest {
  vhost: VhostConfig;
  app: string;
  /** Without extension or query. */
  stream: string;
  /** Query as the protocol reports it to hooks (RTMP/HTTP: with its leading `?`). */
  param: string;
  /** tcUrl as hooks report it (http-callbacks.md §4 per-protocol table). */
  tcUrl: string;
  /** Page URL / Referer: the referer check and hooks. */
  pageUrl: string;
  /** The client record's type once admitted (`fmle-publish`, `flv-play`, ...). */
  type: ClientType;
  /** Name as requested, for the record (HTTP keeps the extension); default `stream`. */
  name?: string;
  /** `stream` as hooks name it when it differs (HLS ctx: `cam1.m3u8`). */
  hookStream?: string;
  /**
   * Edge token traverse (RTMP): the client's host, tcUrl and connect arguments, replayed to an origin
   * before the first publish/play when the vhost asks for it.
   */
  traverse?: { host: string; tcUrl: string; connectArgs: Amf0Value };
}

/** An admitted publish or play. */
export interface Ticket {
  readonly clientId: string;
  readonly action: AdmissionAction;
  /** What hooks were (and will be) told about this client and stream. */
  readonly hook: HookClientInfo;
  readonly closed: boolean;
  /** The publish/play ended: fires on_unpublish/on_stop. Idempotent. */
  close(reason: string): void;
  /**
   * The action was admitted but could not start (stream busy): ends it without on_unpublish/on_stop,
   * as SRS does for RTMP (http-callbacks.md §5). Idempotent.
   */
  abandon(reason: string): void;
}

/** A one-shot client (HTTP stream, HLS session, WebRTC): the ticket also ends its client record. */
export interface ClientBoundTicket extends Ticket {
  /** The client record (/api/v1/clients). */
  readonly stat: ClientStat;
}

/** One connection-level client (RTMP, SRT) from accept to close; it may publish or play several times. */
export interface ClientTicket {
  readonly id: string;
  /** The client record (/api/v1/clients), listed from the start with an empty type. */
  readonly stat: ClientStat;
  /** The publish/play in force, if any. */
  readonly current: Ticket | null;
  readonly closed: boolean;
  /** Record fields learnt later (RTMP connect: vhost, tcUrl, pageUrl, swfUrl). */
  describe(fields: { vhost?: string; tcUrl?: string; pageUrl?: string; swfUrl?: string }): void;
  /**
   * Connect checks once (refer.all, on_connect, token traverse), then security, referer and
   * on_publish/on_play. Rejects with the refusal (AuthError, HookError, ...). A ticket still in force is
   * closed first.
   */
  admit(action: AdmissionAction, request: AdmissionRequest): Promise<Ticket>;
  /**
   * The client is gone: closes the ticket in force (on_unpublish/on_stop), ends the record, fires
   * on_close when on_connect was called, and frees its max_connections slot. Idempotent.
   */
  close(reason: string, failed?: boolean): void;
}

/** One TCP connection counted for `max_connections`, on any listener. */
export interface ConnectionSlot {
  /** Idempotent. */
  release(): void;
}

/** The service (one per server; `ctx.admission`). */
export interface Admission {
  /** Open connections over every listener (max_connections applies to it). */
  readonly connections: number;
  /** A slot for a new TCP connection, or null (logged) when max_connections is reached. */
  openConnection(proto: AdmissionProto, ip: string): ConnectionSlot | null;
  /** A connection-level client (RTMP, SRT); its close() frees `slot`. */
  openClient(client: AdmissionClient, slot?: ConnectionSlot): ClientTicket;
  /** A one-shot client: checks, then the record and a ticket whose close() ends both. */
  admit(o: { action: AdmissionAction; request: AdmissionRequest; client: AdmissionClient; slot?: ConnectionSlot }): Promise<ClientBoundTicket>;
}
