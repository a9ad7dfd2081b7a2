// Origin cluster (SRS SrsRtmpConn::playing + SrsHttpHooks::discover_co_workers): an origin asked to play
// a stream it does not publish asks its coworkers' HTTP APIs, in order, which of them has it, and the
// player is sent there with an RTMP 302.
import { ErrorCode, TsrsError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { outboundUrl } from '../../protocol/rtmp/request.js';
import { checkHookResponse, httpCall } from '../hooks/hook-client.js';
import type { ClusterRequest } from '../live/cluster-hooks.js';

/** SRS ERROR_OCLUSTER_DISCOVER: a coworker's answer is unusable. */
export const ORIGIN_CLUSTER_DISCOVER = ErrorCode.OriginClusterDiscover;
/** SRS ERROR_OCLUSTER_REDIRECT: no coworker has the stream. */
export const ORIGIN_CLUSTER_REDIRECT = ErrorCode.OriginClusterRedirect;

/** The clusters query URL SRS builds for one coworker (http-callbacks.md §8). */
export function clustersQueryUrl(coworker: string, req: ClusterRequest): string {
  return `http://${coworker}/api/v1/clusters?vhost=${req.vhost.name}&ip=${req.host}&app=${req.app}&stream=${req.stream}&coworker=${coworker}`;
}

/** `{ip, port}` of `data.origin` in a clusters answer, or an error saying what is wrong. */
export function parseClustersAnswer(url: string, body: string): { ip: string; port: number } {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new TsrsError(ORIGIN_CLUSTER_DISCOVER, `${url}: body is not JSON`);
  }
  const origin = (v as { data?: { origin?: unknown } } | null)?.data?.origin;
  if (!origin || typeof origin !== 'object') throw new TsrsError(ORIGIN_CLUSTER_DISCOVER, `${url}: no origin for the stream`);
  const { ip, port } = origin as { ip?: unknown; port?: unknown };
  if (typeof ip !== 'string' || typeof port !== 'number' || !Number.isInteger(port)) {
    throw new TsrsError(ORIGIN_CLUSTER_DISCOVER, `${url}: origin without ip/port: ${body.slice(0, 128)}`);
  }
  return { ip, port };
}

export interface CoworkerLookupOptions {
  timeoutMs: number;
}

/**
 * The RTMP URL of the first coworker that publishes the stream, or null when the vhost is not an origin
 * of an origin cluster. Throws ORIGIN_CLUSTER_REDIRECT (3092) when none has it.
 */
export async function locateInCluster(req: ClusterRequest, log: Logger, opts: CoworkerLookupOptions): Promise<string | null> {
  const c = req.vhost.cluster;
  if (!c.originCluster || c.isEdge) return null;
  const reasons: string[] = [];
  for (const coworker of c.coworkers) {
    const url = clustersQueryUrl(coworker, req);
    try {
      const r = await httpCall('POST', url, '', { timeoutMs: opts.timeoutMs });
      checkHookResponse(url, r);
      const { ip, port } = parseClustersAnswer(url, r.body);
      // SRS ignores answers without a usable host or port and asks the next coworker.
      if (!ip || port <= 0) throw new TsrsError(ORIGIN_CLUSTER_DISCOVER, `${url}: origin ${ip}:${port} is not usable`);
      const host = ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
      const target = outboundUrl(`${host}:${port}`, req.app, req.stream, req.param, req.vhost.name);
      log.trace(`rtmp: redirect in cluster, from=${req.host}, target=${host}:${port}, url=${url}, rurl=${target}`);
      return target;
    } catch (err) {
      reasons.push(errorMessage(err));
      log.info(`origin cluster: ${coworker} cannot serve ${req.app}/${req.stream}: ${errorMessage(err)}`);
    }
  }
  throw new TsrsError(
    ORIGIN_CLUSTER_REDIRECT,
    `origin cluster: no coworker publishes ${req.app}/${req.stream}${reasons.length ? ` (${reasons.join('; ')})` : ''}`,
  );
}
