// A scriptable RTMP client for tests that need to misbehave or look at the wire (built on our protocol layer).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { encodeAmf0, type Amf0Object, type Amf0Value } from '../../src/kernel/format/amf0.js';
import { ChunkDecoder } from '../../src/protocol/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../src/protocol/rtmp/chunk-encoder.js';
import { commandMessage, decodeCommand, type CommandMessage } from '../../src/protocol/rtmp/commands.js';
import { HandshakeClient } from '../../src/protocol/rtmp/handshake.js';
import { MessageType, encodeSetChunkSize, type RtmpMessage } from '../../src/protocol/rtmp/message.js';

export class RawRtmpClient {
  readonly messages: RtmpMessage[] = [];
  readonly encoder = new ChunkEncoder();
  private readonly decoder = new ChunkDecoder();
  private waiters = new Set<() => void>();
  closed = false;
  private txn = 1;

  private constructor(readonly socket: net.Socket) {}

  /** TCP connect and handshake (complex digest by default, like ffmpeg and Flash). */
  static async open(port: number, opts: { complex?: boolean } = {}): Promise<RawRtmpClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawRtmpClient(socket);
    const hs = new HandshakeClient(randomBytes, () => Date.now() & 0xffffffff, { complex: opts.complex ?? true });
    socket.write(hs.start());
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer): void => {
        const r = hs.receive(b);
        for (const s of r.send) socket.write(s);
        if (r.done) {
          socket.off('data', onData);
          if (r.rest) c.onBytes(r.rest);
          socket.on('data', (bytes: Buffer) => c.onBytes(bytes));
          resolve();
        }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during handshake')));
    });
    socket.on('close', () => {
      c.closed = true;
      c.wake();
    });
    socket.on('error', () => {});
    return c;
  }

  private onBytes(b: Buffer): void {
    this.messages.push(...this.decoder.push(b));
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  send(msg: RtmpMessage): void {
    this.socket.write(this.encoder.encodeToBuffer(msg));
  }

  setChunkSize(n: number): void {
    this.send(encodeSetChunkSize(n));
    this.encoder.outChunkSize = n;
  }

  call(streamId: number, name: string, obj: Amf0Value, ...args: Amf0Value[]): number {
    const t = this.txn++;
    this.send(commandMessage(streamId, 3, name, t, obj, ...args));
    return t;
  }

  /** Send a command as AMF3 (message type 17), as Flash clients with objectEncoding 3 do. */
  callAmf3(streamId: number, name: string, obj: Amf0Value, ...args: Amf0Value[]): number {
    const t = this.txn++;
    const amf0 = encodeAmf0(name, t, obj, ...args);
    this.send({ typeId: MessageType.CommandAmf3, streamId, timestamp: 0, chunkStreamId: 3, payload: Buffer.concat([Buffer.from([0]), amf0]) });
    return t;
  }

  commands(): CommandMessage[] {
    return this.messages.filter((m) => m.typeId === MessageType.CommandAmf0 || m.typeId === MessageType.CommandAmf3).map(decodeCommand);
  }

  /** Resolves once `pred` holds over the messages received so far. */
  waitFor<T>(pred: (c: RawRtmpClient) => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = pred(this);
        if (v) {
          done();
          resolve(v);
        } else if (this.closed) {
          done();
          reject(new Error(`connection closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timeout waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  waitForStatus(code: string, timeoutMs = 10_000): Promise<CommandMessage> {
    return this.waitFor(
      (c) => c.commands().find((m) => m.name === 'onStatus' && (m.args[0] as Amf0Object | undefined)?.code === code),
      timeoutMs,
      `onStatus ${code}`,
    );
  }

  waitClosed(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timeout waiting for close')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** connect + createStream; returns the stream id. */
  async connectApp(tcUrl: string, amf3 = false): Promise<number> {
    const app = tcUrl.replace(/^rtmp:\/\/[^/]+\/?/, '');
    const props: Amf0Object = { app, tcUrl, flashVer: 'LNX 9,0,124,2', objectEncoding: amf3 ? 3 : 0 };
    if (amf3) this.callAmf3(0, 'connect', props);
    else this.call(0, 'connect', props);
    await this.waitFor((c) => c.commands().find((m) => m.name === '_result' && (m.args[0] as Amf0Object | undefined)?.code === 'NetConnection.Connect.Success'), 10_000, 'connect result');
    const t = this.call(0, 'createStream', null);
    const r = await this.waitFor((c) => c.commands().find((m) => m.name === '_result' && m.transactionId === t), 10_000, 'createStream result');
    return r.args[0] as number;
  }

  close(): void {
    this.socket.destroy();
  }
}
