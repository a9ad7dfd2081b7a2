// Client of the SRS-compatible HTTP API (/api/v1). Uses fetch with CORS (the API answers with
// Access-Control-Allow-Origin: *); if the browser cannot make the request (a server without CORS),
// it switches to JSONP (?callback=, with &method= for DELETE), which SRS-style servers always offer.

/** An application error: the API answered `{"code": N}` with N ≠ 0. */
export class ApiError extends Error {
  /** @param {string} path @param {number} code */
  constructor(path, code) {
    super(`${path}: API error code ${code}${API_CODES[code] ? ` (${API_CODES[code]})` : ''}`);
    this.code = code;
  }
}

/** Codes the console may meet (reference/http-api.md §7). */
const API_CODES = {
  400: 'bad request',
  2014: 'no such vhost',
  2048: 'no such stream',
  2049: 'no such client',
  4058: 'bad JSONP callback',
};

const JSONP_TIMEOUT_MS = 8000;
let jsonpSeq = 0;

export class Api {
  /** @param {string} base e.g. http://127.0.0.1:1985 (no trailing slash) */
  constructor(base) {
    this.base = base.replace(/\/+$/, '');
    /** @type {'fetch' | 'jsonp'} */
    this.mode = 'fetch';
  }

  /** GET a path, return the parsed JSON; throws ApiError for a non-zero code. */
  get(path) {
    return this.request('GET', path);
  }

  /** Every item of a paged list (`start`/`count`, reference §4): `streams` or `clients`. */
  async list(path, key) {
    const pageSize = 100;
    const all = [];
    for (let start = 0; start < 100 * pageSize; start += pageSize) {
      const sep = path.includes('?') ? '&' : '?';
      const page = (await this.get(`${path}${sep}start=${start}&count=${pageSize}`))[key] ?? [];
      all.push(...page);
      if (page.length < pageSize) break;
    }
    return all;
  }

  /** DELETE a resource (kick a client). */
  delete(path) {
    return this.request('DELETE', path);
  }

  async request(method, path) {
    if (this.mode === 'fetch') {
      let res;
      try {
        res = await fetch(this.base + path, { method, cache: 'no-store' });
      } catch (networkOrCors) {
        // Either the server is down or it refused CORS; JSONP tells the two apart.
        try {
          const body = await this.jsonp(method, path);
          this.mode = 'jsonp';
          return check(path, body);
        } catch {
          throw new Error(`cannot reach the API at ${this.base} (${networkOrCors.message})`);
        }
      }
      if (res.status === 401) throw new Error(`the API at ${this.base} needs a user name and password (http_api.auth)`);
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.statusText}`);
      return check(path, await res.json());
    }
    try {
      return check(path, await this.jsonp(method, path));
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new Error(`cannot reach the API at ${this.base} (${e.message})`);
    }
  }

  /** One JSONP call: a <script> whose body calls our callback with the JSON. */
  jsonp(method, path) {
    return new Promise((resolve, reject) => {
      const name = `tsrsJsonp${Date.now().toString(36)}_${++jsonpSeq}`;
      const sep = path.includes('?') ? '&' : '?';
      const script = document.createElement('script');
      const cleanup = () => {
        clearTimeout(timer);
        delete window[name];
        script.remove();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error('JSONP timeout'));
      }, JSONP_TIMEOUT_MS);
      window[name] = (body) => {
        cleanup();
        resolve(body);
      };
      script.onerror = () => {
        cleanup();
        reject(new Error('JSONP load failed'));
      };
      script.src = `${this.base}${path}${sep}callback=${name}${method === 'GET' ? '' : `&method=${method}`}`;
      document.head.append(script);
    });
  }
}

function check(path, body) {
  if (body && typeof body.code === 'number' && body.code !== 0) throw new ApiError(path, body.code);
  return body;
}
