// An RTMP player: the byte-stream delivery policy (ByteStreamSink) over an RTMP chunk output that puts
// shared payloads behind per-connection chunk headers, one writev per merged batch.
import type { Logger } from '../../core/logger.js';
import type { MediaFrame } from '../../kernel/media-frame.js';
import type { ChunkEncoder } from '../../protocol/rtmp/chunk-encoder.js';
import { ChunkStreamId } from '../../protocol/rtmp/commands.js';
import { MessageType, type RtmpMessage } from '../../protocol/rtmp/message.js';
import type { TcpConnection } from '../../transport/tcp.js';
import { ByteStreamSink, type ByteStreamOptions, type ByteStreamOutput, type ViewerEvents } from '../live/byte-stream-sink.js';

/** The output half of an RTMP player: encodes a batch as chunks and writes it; no policy here. */
export class RtmpChunkOutput implements ByteStreamOutput {
  /** Reused for every message: the encoder copies what it needs and keeps no reference. */
  private readonly scratch: RtmpMessage = { typeId: 0, streamId: 0, timestamp: 0, chunkStreamId: 0, payload: Buffer.alloc(0) };

  constructor(
    private readonly conn: TcpConnection,
    private readonly encoder: ChunkEncoder,
    private readonly streamId: number,
    /** Whether the session still holds encoded control messages not yet written (then no recycling). */
    private readonly sessionHasOutput: () => boolean,
  ) {}

  pendingBytes(): number {
    return this.conn.pendingBytes;
  }

  writeFrames(frames: MediaFrame[], dts: readonly number[]): void {
    const out: Buffer[] = [];
    // Every header this connection was given has left the process: carve the same memory again.
    if (this.conn.pendingBytes === 0 && !this.sessionHasOutput()) this.encoder.recycle();
    const msg = this.scratch;
    msg.streamId = this.streamId;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      msg.typeId = f.kind === 'video' ? MessageType.Video : f.kind === 'audio' ? MessageType.Audio : MessageType.DataAmf0;
      msg.chunkStreamId = f.kind === 'video' ? ChunkStreamId.Video : f.kind === 'audio' ? ChunkStreamId.Audio : ChunkStreamId.OverStream;
      // RTMP carries 32 bits; our timeline is wider, and the wrap is what the protocol expects.
      msg.timestamp = dts[i]! % 0x100000000;
      msg.payload = f.payload;
      this.encoder.encode(msg, out);
    }
    this.conn.write(out);
  }
}

export class RtmpPlaySink extends ByteStreamSink {
  constructor(
    id: string,
    conn: TcpConnection,
    encoder: ChunkEncoder,
    streamId: number,
    options: ByteStreamOptions,
    log: Logger,
    events: ViewerEvents,
    sessionHasOutput: () => boolean = () => true,
  ) {
    super(id, new RtmpChunkOutput(conn, encoder, streamId, sessionHasOutput), options, log, events);
  }
}

/** The play side of a worker-mesh relay: it feeds another worker, so it is no viewer here (no demand). */
export class RelayPlaySink extends RtmpPlaySink {
  override readonly viewer = false;
}
