// The stream casters of the config (issue 16), started and stopped with the server. stream_caster is not
// reloadable in SRS (config diff lists it as needing a restart), so reload leaves them alone.
import { ErrorCode, TsrsError } from '../../core/errors.js';
import type { HttpLimits } from '../../transport/http-listener.js';
import type { ServerContext } from '../context.js';
import { FlvPostCaster } from './flv-post-caster.js';
import { MpegtsUdpCaster } from './mpegts-udp-caster.js';

export interface CasterServiceOptions {
  /** Limits of the FLV caster's HTTP listener (its whole-request deadline is lifted). */
  httpLimits: HttpLimits;
  /** Several workers run this server (worker mesh): a UDP port is owned by one of them. */
  workers: boolean;
}

type Caster = MpegtsUdpCaster | FlvPostCaster;

export class CasterService {
  private readonly casters: Caster[] = [];

  constructor(
    private readonly ctx: ServerContext,
    private readonly options: CasterServiceOptions,
  ) {}

  /** Bind every enabled caster (the config checked their engine, port and output at load). */
  async start(): Promise<void> {
    for (const cfg of this.ctx.config().streamCasters) {
      if (!cfg.enabled) continue;
      const caster =
        cfg.caster === 'mpegts_over_udp'
          ? new MpegtsUdpCaster(this.ctx, cfg, { exclusive: this.options.workers })
          : new FlvPostCaster(this.ctx, cfg, { limits: this.options.httpLimits });
      this.casters.push(caster);
      try {
        await caster.start();
      } catch (err) {
        throw new TsrsError(ErrorCode.SocketListen, `stream_caster ${cfg.caster} cannot listen at port ${cfg.listen}`, { cause: err });
      }
    }
  }

  /** Bound ports by caster engine (0 for a UDP port another worker owns). */
  get ports(): { mpegtsOverUdp: number[]; flv: number[] } {
    return {
      mpegtsOverUdp: this.casters.filter((c) => c instanceof MpegtsUdpCaster).map((c) => c.port),
      flv: this.casters.filter((c) => c instanceof FlvPostCaster).map((c) => c.port),
    };
  }

  /** Unpublish every caster stream and close the ports. */
  async stop(): Promise<void> {
    const all = this.casters.splice(0);
    await Promise.all(all.map((c) => c.stop()));
  }
}
