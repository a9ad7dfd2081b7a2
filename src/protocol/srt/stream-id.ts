// SRT stream id, read the way SRS 4 reads it (srt access control syntax, SRS issue 2893):
//   #!::r=app/stream,m=publish     (m=request or no m: play)
//   #!::h=vhost,r=app/stream       vhost in h
//   #!::h=live/stream,m=publish    SRS 4's older style: h holds app/stream
//   #!::h=vhost/app/stream         h holds vhost/app/stream
//   #!::r=app/stream?secret=x      the query goes to hooks as the param
//   #!::r=app/stream,key=v         other keys join the param too
//   app/stream  or  stream         no `#!::`: play; a missing app is the configured default_app

import { ErrorCode, ProtocolError } from '../../core/errors.js';

export type SrtStreamMode = 'publish' | 'play';

export interface SrtStreamIdInfo {
  mode: SrtStreamMode;
  /** Empty when the id names none (the server then uses the default vhost). */
  vhost: string;
  app: string;
  stream: string;
  /** `?a=b&c=d` or ''. */
  param: string;
}

function bad(streamId: string, why: string): ProtocolError {
  return new ProtocolError(ErrorCode.SrtConn, `srt: stream id ${JSON.stringify(streamId)}: ${why}`);
}

export function parseStreamId(streamId: string, defaultApp = 'live'): SrtStreamIdInfo {
  let mode: SrtStreamMode = 'play';
  let vhost = '';
  let path = '';
  const params: string[] = [];
  if (!streamId.startsWith('#!::')) {
    path = streamId;
  } else {
    for (const item of streamId.slice(4).split(',')) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      const key = eq < 0 ? item : item.slice(0, eq);
      const value = eq < 0 ? '' : item.slice(eq + 1);
      if (key === 'h') {
        const first = value.indexOf('/');
        const last = value.lastIndexOf('/');
        if (first < 0) vhost = value;
        else if (first === last) path = value;
        else {
          vhost = value.slice(0, first);
          path = value.slice(first + 1);
        }
      } else if (key === 'r') {
        path = value;
      } else if (key === 'm') {
        const m = value.toLowerCase();
        if (m === 'publish') mode = 'publish';
        else if (m === 'request') mode = 'play';
        else throw bad(streamId, `unknown mode ${JSON.stringify(value)}`);
      } else {
        params.push(item);
      }
    }
  }
  const q = path.indexOf('?');
  if (q >= 0) {
    const query = path.slice(q + 1);
    path = path.slice(0, q);
    if (query) params.unshift(query);
  }
  path = path.replace(/^\/+/, '');
  if (!path) throw bad(streamId, 'names no stream');
  const slash = path.lastIndexOf('/');
  const app = slash < 0 ? defaultApp : path.slice(0, slash);
  const stream = slash < 0 ? path : path.slice(slash + 1);
  if (!app || !stream) throw bad(streamId, 'names no app/stream');
  return { mode, vhost, app, stream, param: params.length ? `?${params.join('&')}` : '' };
}
