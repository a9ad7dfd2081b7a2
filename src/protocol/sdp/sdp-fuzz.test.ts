import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { negotiateAnswer, type AnswerOptions } from './sdp-negotiate.js';
import { parseSdp } from './sdp-parse.js';
import { serializeSdp } from './sdp-serialize.js';
import { CHROMIUM_156_PUBLISH_OFFER } from './chromium-offers.js';
import { CHROME_PLAY_OFFER, CHROME_PUBLISH_OFFER, FIREFOX_PLAY_OFFER, OBS_WHIP_OFFER } from './sdp-test-offers.js';
import { prng } from '../../../test/fixtures/index.js';


const OFFERS = [CHROME_PUBLISH_OFFER, CHROME_PLAY_OFFER, FIREFOX_PLAY_OFFER, CHROMIUM_156_PUBLISH_OFFER, OBS_WHIP_OFFER].map((o) => o.split('\r\n'));
const TOKENS = ['', ' ', ':', '/', ';', '=', '0', '-1', '65536', '4294967296', '999999999999', 'x', 'a=', 'm=', '\u0000', 'é', '*', 'typ'];
const OPTIONS: AnswerOptions = {
  role: 'publish',
  iceUfrag: 'u',
  icePwd: 'p',
  fingerprint: { algorithm: 'sha-256', value: 'AA:BB' },
  candidates: [{ address: '127.0.0.1', port: 8000 }],
};

function mutateLine(rnd: () => number, line: string): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const at = Math.floor(rnd() * (line.length + 1));
  switch (Math.floor(rnd() * 4)) {
    case 0:
      return line.slice(0, at) + pick(TOKENS) + line.slice(at);
    case 1:
      return line.slice(0, at);
    case 2: {
      // Replace one space-separated field.
      const f = line.split(' ');
      f[Math.floor(rnd() * f.length)] = pick(TOKENS);
      return f.join(' ');
    }
    default:
      return line.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 128)) + line.slice(at + 1);
  }
}

test('fuzz: mutated browser offers and garbage only throw ProtocolError, through parse, serialize and negotiate', () => {
  const rnd = prng(0x5d9);
  for (let iter = 0; iter < 300; iter++) {
    let text: string;
    if (iter % 10 === 0) {
      text = Array.from({ length: Math.floor(rnd() * 200) }, () => String.fromCharCode(Math.floor(rnd() * 128))).join('');
    } else {
      const lines = [...OFFERS[iter % OFFERS.length]!];
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const i = Math.floor(rnd() * lines.length);
        const r = rnd();
        if (r < 0.2) lines.splice(i, 1);
        else if (r < 0.3) lines.splice(i, 0, lines[Math.floor(rnd() * lines.length)]!);
        else lines[i] = mutateLine(rnd, lines[i]!);
      }
      text = lines.join(rnd() < 0.5 ? '\r\n' : '\n');
    }
    try {
      const parsed = parseSdp(text);
      // Whatever parses must serialize and parse again to the same model.
      assert.deepEqual(parseSdp(serializeSdp(parsed)), parsed, `iteration ${iter} round trip`);
      negotiateAnswer(parsed, { ...OPTIONS, role: iter % 2 === 0 ? 'publish' : 'play' });
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      assert.ok(err instanceof ProtocolError, `iteration ${iter}: ${String(err)}\n${text.slice(0, 300)}`);
    }
  }
});
