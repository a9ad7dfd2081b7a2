// WebRTC play sessions (issue 15, first slice): the UDP port of `rtc_server`, the DTLS certificate, the
// offer/answer of `/rtc/v1/play/` and WHEP, admission (hooks, security, /api/v1/clients, kick), and the
// bridge from a live source to each viewer's RTP through the PacketSink delivery policy.
import os from 'node:os';
import { randomBytes, randomInt } from 'node:crypto';
import { ErrorCode, ProtocolError, TsrsError, errorMessage } from '../../core/errors.js';
import { newContextId } from '../../core/logger.js';
import { resolveVhost, type VhostConfig } from '../../config/index.js';
import { SharedH264Payloads } from '../../protocol/rtp/index.js';
import { parseRtcp } from '../../protocol/rtcp/index.js';
import { negotiateAnswer, RtpExtensionUri, type LocalCandidate, type Negotiation } from '../../protocol/sdp/index.js';
import { UdpMux } from '../../transport/udp-mux.js';
import type { ClientBoundTicket } from '../admission/index.js';
import type { ServerContext } from '../context.js';
import { DEFAULT_PACKET_OPTIONS, PacketSink } from '../live/packet-sink.js';
import type { LiveSource } from '../live/live-source.js';
import { sourceOptionsOf } from '../live/source-options.js';
import { createDtlsCertificate, type DtlsCertificate } from './dtls-certificate.js';
import { RtcSession } from './rtc-session.js';
import { RtcVideoSender } from './rtc-video-sender.js';
import { RtcAudioBridges, RtcAudioSender } from './rtc-audio.js';
import type { ProcessSupervisor } from '../ffmpeg/index.js';

/** A play request as the signalling layer hands it over. */
export interface RtcPlayRequest {
  offer: string;
  /** Vhost name from the stream URL host or `?vhost=`; '' for the default. */
  vhost: string;
  app: string;
  stream: string;
  /** Query string with its leading `?` ('' if none), for hooks. */
  param: string;
  clientIp: string;
  /** `?eip=`: the address the client wants as our candidate. */
  eip?: string;
  /** Page URL for referer checks. */
  pageUrl: string;
  /** tcUrl for hooks. */
  tcUrl: string;
}

export interface RtcPlayAnswer {
  sessionId: string;
  sdp: string;
}

/** Everything one viewer holds; closing it undoes all of it once. */
interface PlaySession {
  readonly rtc: RtcSession;
  readonly ticket: ClientBoundTicket;
  readonly source: LiveSource;
  sink: PacketSink | null;
  sender: RtcVideoSender | null;
  audio: RtcAudioSender | null;
}

const TICK_MS = 1000;

export class RtcService {
  private mux: UdpMux | null = null;
  private cert: DtlsCertificate | null = null;
  private readonly sessions = new Map<string, PlaySession>();
  /** H.264 RTP payloads made once per frame for every viewer (keyed weakly by the frame's codec view). */
  private readonly payloads = new SharedH264Payloads();
  private ticker: NodeJS.Timeout | null = null;

  /** AAC → Opus once per stream, when an ffmpeg supervisor is given. */
  private readonly audio: RtcAudioBridges;

  constructor(
    private readonly ctx: ServerContext,
    supervisor: () => ProcessSupervisor | undefined = () => undefined,
  ) {
    this.audio = new RtcAudioBridges(supervisor, ctx.log);
  }

  get enabled(): boolean {
    return this.mux !== null && this.cert !== null;
  }

  /** Bound UDP port (0 when RTC is off). */
  get port(): number {
    return this.mux?.port ?? 0;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Bytes counters of the port, for tests and logs. */
  get counters(): { received: number; unrouted: number; sent: number; retransmits: number } {
    let retransmits = 0;
    for (const s of this.sessions.values()) retransmits += s.sender?.retransmits ?? 0;
    const c = this.mux?.counters;
    return { received: c?.received ?? 0, unrouted: c?.unrouted ?? 0, sent: c?.sent ?? 0, retransmits };
  }

  async start(): Promise<void> {
    const rtc = this.ctx.config().rtcServer;
    if (!rtc.enabled) return;
    this.cert = await createDtlsCertificate();
    const mux = new UdpMux(this.ctx.log);
    await mux.listen({ port: rtc.listen, ipv6: rtc.ipFamily !== 'ipv4' });
    this.mux = mux;
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
    this.ctx.log.trace(`rtc: listen at udp://:${mux.port}, candidate ${rtc.candidate}, ECDSA P-256 certificate ${this.cert.fingerprint.slice(0, 23)}...`);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    for (const s of [...this.sessions.values()]) s.rtc.close('server shutdown');
    this.audio.close();
    this.mux?.close();
    this.mux = null;
  }

  private tick(): void {
    const now = this.ctx.now();
    for (const s of [...this.sessions.values()]) {
      s.rtc.tick(now);
      s.sender?.senderReport();
      s.audio?.senderReport();
    }
  }

  /** The candidates of our answer: `?eip=`, else `rtc_server.candidate` (`*` = this host's addresses). */
  candidates(eip: string | undefined): LocalCandidate[] {
    let port = this.port;
    const conf = this.ctx.config().rtcServer.candidate;
    let addresses: string[];
    if (eip) {
      // `?eip=host:port` also names the port (SRS: a NAT or relay in front of rtc_server.listen).
      const m = /^([^:]+):(\d+)$/.exec(eip);
      addresses = [m ? m[1]! : eip];
      if (m) port = Number(m[2]);
    }
    else if (conf && conf !== '*' && conf !== '0.0.0.0') addresses = [conf];
    else {
      addresses = [];
      for (const list of Object.values(os.networkInterfaces())) {
        for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) addresses.push(a.address);
      }
      if (addresses.length === 0) addresses = ['127.0.0.1'];
    }
    return addresses.map((address) => ({ address, port, transport: 'udp' as const }));
  }

  /**
   * Negotiate, admit (security, referer, on_play, a client record of type rtc-play) and start an ICE-lite
   * session. Throws TsrsError: RtcSdpDecode/RtcSdpExchange for a bad offer, RtcSourceCheck when the vhost
   * does not bridge RTMP to RTC, AuthError/HookError when refused.
   */
  async play(r: RtcPlayRequest): Promise<RtcPlayAnswer> {
    const mux = this.mux;
    const cert = this.cert;
    if (!mux || !cert) throw new TsrsError(ErrorCode.RtcPort, 'RTC is disabled (rtc_server.enabled off)');
    const config = this.ctx.config();
    const vhost: VhostConfig | undefined = resolveVhost(config, r.vhost || '__defaultVhost__');
    if (!vhost || !vhost.enabled) throw new TsrsError(ErrorCode.RtcSourceCheck, `vhost ${r.vhost || '__defaultVhost__'} not found`);
    if (!vhost.rtc.enabled) throw new TsrsError(ErrorCode.RtcSourceCheck, `vhost ${vhost.name}: rtc is disabled (vhost rtc { enabled on; })`);
    if (!vhost.rtc.rtmpToRtc) throw new TsrsError(ErrorCode.RtcSourceCheck, `vhost ${vhost.name}: rtmp_to_rtc is off, streams published over RTMP cannot be played over WebRTC`);
    if (!r.app || !r.stream) throw new TsrsError(ErrorCode.RtcApiBody, 'stream URL has no app or stream');

    const localUfrag = randomBytes(4).toString('hex');
    const localPwd = randomBytes(16).toString('hex');
    const videoSsrc = randomInt(1, 0xffffffff);
    const audioSsrc = randomInt(1, 0xffffffff);
    const withAudio = this.audio.available;
    const negotiation: Negotiation = negotiateAnswer(r.offer, {
      role: 'play',
      iceUfrag: localUfrag,
      icePwd: localPwd,
      fingerprint: { algorithm: 'sha-256', value: cert.fingerprint },
      dtlsRole: vhost.rtc.dtlsRole === 'active' ? 'active' : 'passive',
      candidates: this.candidates(r.eip),
      videoCodecs: ['H264'],
      audioCodecs: withAudio ? ['opus'] : [],
      sendTracks: withAudio ? { video: { ssrc: videoSsrc }, audio: { ssrc: audioSsrc } } : { video: { ssrc: videoSsrc } },
      cname: randomBytes(8).toString('hex'),
      streamId: `${r.app}/${r.stream}`,
      sessionId: String(randomInt(1, 2 ** 47)),
    });
    const video = negotiation.media.find((m) => m.kind === 'video');
    const audio = negotiation.media.find((m) => m.kind === 'audio');
    if (!video) {
      throw new ProtocolError(ErrorCode.RtcSdpExchange, `SDP offer/answer: no H.264 video to play (${negotiation.rejected.map((x) => `${x.kind}: ${x.reason}`).join('; ') || 'no video section'})`);
    }

    const id = newContextId();
    const log = this.ctx.log.child(id);
    const state = { session: null as PlaySession | null, rtc: null as RtcSession | null };
    const ticket = await this.ctx.admission.admit({
      action: 'play',
      client: {
        proto: 'webrtc',
        id,
        ip: r.clientIp,
        log,
        tcUrl: r.tcUrl,
        pageUrl: r.pageUrl,
        sendBytes: () => state.rtc?.bytesSent ?? 0,
        recvBytes: () => state.rtc?.bytesReceived ?? 0,
        kick: (reason) => state.rtc?.close(`kicked: ${reason}`),
        droppedFrames: () => state.session?.sink?.droppedFrames ?? 0,
      },
      request: { vhost, app: r.app, stream: r.stream, param: r.param, tcUrl: r.tcUrl, pageUrl: r.pageUrl, type: 'rtc-play' },
    });

    const source = this.ctx.registry.obtain(vhost.name, r.app, r.stream, sourceOptionsOf(vhost));
    const rtc = new RtcSession(
      {
        id,
        localUfrag,
        localPwd,
        remoteFingerprint: negotiation.remoteFingerprint,
        localSetup: negotiation.localSetup,
        cert,
        stunTimeoutMs: vhost.rtc.stunTimeoutMs,
        now: () => this.ctx.now(),
        log,
      },
      mux,
      {
        onConnected: () => {
          this.startMedia(session, vhost, video.codec.payloadType, videoSsrc, video.extmaps.find((e) => e.uri === RtpExtensionUri.TransportWideCc)?.id);
          if (audio && session.rtc.state === 'connected') {
            session.audio = new RtcAudioSender(rtc, { ssrc: audioSsrc, payloadType: audio.codec.payloadType, initialSequence: randomInt(0, 0x10000), timestampOffset: randomInt(0, 2 ** 31) }, () => this.ctx.now());
            this.audio.attach(source, session.audio, vhost.rtc.opusBitrate);
          }
        },
        onRtcp: (_s, rtcp) => this.onRtcp(session, rtcp),
        onClosed: (_s, reason) => this.finish(session, reason),
      },
    );
    const session: PlaySession = { rtc, ticket, source, sink: null, sender: null, audio: null };
    state.rtc = rtc;
    state.session = session;
    this.sessions.set(id, session);
    mux.addUfrag(localUfrag, rtc);
    log.trace(`rtc play ${source.key} from ${r.clientIp}: ufrag ${localUfrag}, H.264 pt ${video.codec.payloadType}${audio ? `, Opus pt ${audio.codec.payloadType}` : ', no audio'}, DTLS ${negotiation.localSetup}`);
    return { sessionId: id, sdp: negotiation.answerSdp };
  }

  hasSession(id: string): boolean {
    return this.sessions.has(id);
  }

  /** DELETE of a WHEP resource, or any other end: true when the session existed. */
  closeSession(id: string, reason: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    s.rtc.close(reason);
    return true;
  }

  private startMedia(s: PlaySession, vhost: VhostConfig, payloadType: number, ssrc: number, twccId: number | undefined): void {
    const now = (): number => this.ctx.now();
    const sender = new RtcVideoSender(s.rtc, this.payloads, { ssrc, payloadType, initialSequence: randomInt(0, 0x10000), timestampOffset: randomInt(0, 2 ** 31), transportCcId: twccId, dropBframes: !vhost.rtc.keepBframe }, now);
    const sink = new PacketSink(s.rtc.id, sender, { ...DEFAULT_PACKET_OPTIONS, now, requestKeyframe: () => s.source.requestKeyframe(now()) }, s.rtc.o.log);
    s.sender = sender;
    s.sink = sink;
    try {
      s.source.addSink(sink, { gop: true });
    } catch (err) {
      s.rtc.close(`cannot attach to ${s.source.key}: ${errorMessage(err)}`);
    }
  }

  private onRtcp(s: PlaySession, rtcp: Buffer): void {
    for (const p of parseRtcp(rtcp)) {
      if (p.type === 'pli' || p.type === 'fir') {
        if (s.sink) s.sink.keyframeRequests++;
        s.source.requestKeyframe(this.ctx.now());
      } else if (p.type === 'nack') s.sender?.retransmit(p.lost);
    }
  }

  private finish(s: PlaySession, reason: string): void {
    if (this.sessions.get(s.rtc.id) !== s) return;
    this.sessions.delete(s.rtc.id);
    this.mux?.remove(s.rtc.o.localUfrag, s.rtc);
    if (s.sink) {
      s.sink.close();
      s.source.removeSink(s.sink);
    }
    if (s.audio) this.audio.detach(s.source, s.audio);
    this.ctx.registry.release(s.source);
    s.ticket.close(reason);
    const v = s.sender;
    s.rtc.o.log.trace(`rtc play ${s.source.key} ended: ${reason}; sent ${v?.packets ?? 0} RTP packets, retransmitted ${v?.retransmits ?? 0}, ${s.audio?.packets ?? 0} Opus packets`);
  }
}
