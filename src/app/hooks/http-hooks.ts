// HTTP callbacks (vhost http_hooks): SRS's bodies (field order as in http-callbacks.md §4), gating hooks
// that decide whether a client may connect/publish/play, and notify-only hooks that never block media.
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { HttpHooksConfig } from '../../config/index.js';
import { checkHookResponse, httpCall, type HookRequestOptions } from './hook-client.js';

export type HookAction = 'on_connect' | 'on_close' | 'on_publish' | 'on_unpublish' | 'on_play' | 'on_stop' | 'on_dvr' | 'on_hls';

/** What a hook body says about the client; fields are picked per hook in SRS's order. */
export interface HookClientInfo {
  clientId: string;
  ip: string;
  vhost: string;
  app: string;
  stream: string;
  param: string;
  tcUrl: string;
  pageUrl: string;
  streamUrl: string;
  streamId?: string;
}

export interface HooksOptions {
  serverId: string;
  serviceId: string;
  /** Per-URL timeout (SRS: 30 s). */
  timeoutMs: number;
  /** Beyond SRS: HMAC key for `X-Tsrs-Signature`. */
  secret?: string;
  /** Beyond SRS: attempts for notify-only hooks (on_unpublish, on_stop, on_close, on_dvr, on_hls). */
  notifyAttempts: number;
  notifyBackoffMs: number;
}

const FIELDS: Record<HookAction, string[]> = {
  on_connect: ['client_id', 'ip', 'vhost', 'app', 'stream', 'param', 'tcUrl', 'pageUrl'],
  on_close: ['client_id', 'ip', 'vhost', 'app', 'send_bytes', 'recv_bytes'],
  on_publish: ['client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'stream_url', 'stream_id'],
  on_unpublish: ['client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'stream_url', 'stream_id'],
  on_play: ['client_id', 'ip', 'vhost', 'app', 'stream', 'tcUrl', 'param', 'pageUrl', 'stream_url', 'stream_id'],
  on_stop: ['client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'stream_url', 'stream_id'],
  on_dvr: ['client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'cwd', 'file', 'stream_url', 'stream_id'],
  on_hls: ['client_id', 'ip', 'vhost', 'app', 'tcUrl', 'stream', 'param', 'duration', 'cwd', 'file', 'url', 'm3u8', 'm3u8_url', 'seq_no', 'stream_url', 'stream_id'],
};

/** A float that must print with exactly two decimals (SRS's JSON), e.g. on_hls `duration`. */
export class Fixed2 {
  constructor(readonly value: number) {}
  toJSON(): string {
    return `__fixed2__${this.value.toFixed(2)}`;
  }
}

/** Compact JSON in the given key order; Fixed2 values printed with two decimals. */
export function hookBody(action: HookAction, serverId: string, serviceId: string, c: HookClientInfo, extra: Record<string, unknown> = {}): string {
  const values: Record<string, unknown> = {
    client_id: c.clientId,
    ip: c.ip,
    vhost: c.vhost,
    app: c.app,
    stream: c.stream,
    param: c.param,
    tcUrl: c.tcUrl,
    pageUrl: c.pageUrl,
    stream_url: c.streamUrl,
    stream_id: c.streamId,
    ...extra,
  };
  const body: Record<string, unknown> = { server_id: serverId, service_id: serviceId, action };
  for (const k of FIELDS[action]) if (values[k] !== undefined) body[k] = values[k];
  return JSON.stringify(body).replace(/"__fixed2__(-?\d+\.\d\d)"/g, '$1');
}

const HOOK_URLS: Record<HookAction, keyof HttpHooksConfig> = {
  on_connect: 'onConnect',
  on_close: 'onClose',
  on_publish: 'onPublish',
  on_unpublish: 'onUnpublish',
  on_play: 'onPlay',
  on_stop: 'onStop',
  on_dvr: 'onDvr',
  on_hls: 'onHls',
};

export class HttpHooks {
  constructor(private readonly options: HooksOptions) {}

  private urls(cfg: HttpHooksConfig, action: HookAction): string[] {
    if (!cfg.enabled) return [];
    return cfg[HOOK_URLS[action]] as string[];
  }

  private requestOptions(): HookRequestOptions {
    return { timeoutMs: this.options.timeoutMs, secret: this.options.secret };
  }

  /**
   * A gating hook (on_connect, on_publish, on_play): every URL in order must accept; the first refusal
   * rejects with a HookError (a TimeoutError when it did not answer in time) naming the URL and reason.
   */
  async gate(cfg: HttpHooksConfig, action: 'on_connect' | 'on_publish' | 'on_play', client: HookClientInfo, log: Logger): Promise<void> {
    const urls = this.urls(cfg, action);
    if (urls.length === 0) return;
    const body = hookBody(action, this.options.serverId, this.options.serviceId, client);
    for (const url of urls) {
      const r = await httpCall('POST', url, body, this.requestOptions());
      checkHookResponse(url, r);
      log.trace(`http hook ${action} ${url} ok, client_id=${client.clientId}`);
    }
  }

  /** A notify-only hook: never blocks media, failures are logged, retried a few times (beyond SRS). */
  notify(cfg: HttpHooksConfig, action: Exclude<HookAction, 'on_connect' | 'on_publish' | 'on_play'>, client: HookClientInfo, log: Logger, extra: Record<string, unknown> = {}): Promise<void> {
    const urls = this.urls(cfg, action);
    if (urls.length === 0) return Promise.resolve();
    const body = hookBody(action, this.options.serverId, this.options.serviceId, client, extra);
    const all = async (): Promise<void> => {
      for (const url of urls) {
        for (let attempt = 1; ; attempt++) {
          try {
            checkHookResponse(url, await httpCall('POST', url, body, this.requestOptions()));
            break;
          } catch (err) {
            if (attempt >= this.options.notifyAttempts) {
              log.warn(`ignore ${action} ${url} failed after ${attempt} attempts: ${errorMessage(err)}`);
              // on_dvr/on_hls skip the remaining URLs for this event, like SRS.
              if (action === 'on_dvr' || action === 'on_hls') return;
              break;
            }
            await new Promise((r) => setTimeout(r, this.options.notifyBackoffMs * attempt));
          }
        }
      }
    };
    return all().catch((err) => log.warn(`${action} failed: ${errorMessage(err)}`));
  }
}
