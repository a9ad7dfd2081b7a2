import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../core/errors.js';
import { IceTcpDeframer, frameIceTcp } from './ice-tcp-framer.js';

const packets = [Buffer.from('stun-binding-request'), Buffer.alloc(1200, 7), Buffer.from([0x80, 0x60, 1]), Buffer.from('x')];
const stream = Buffer.concat(packets.flatMap((p) => frameIceTcp(p)));

test('ICE-TCP deframer returns the same packets for every split of the stream', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const step of [1, 3, 1000]) {
      const d = new IceTcpDeframer();
      const out: Buffer[] = [];
      const feed = (b: Buffer): void => {
        for (let i = 0; i < b.length; i += step) out.push(...d.push(b.subarray(i, i + step)).map((x) => Buffer.from(x)));
      };
      if (step === 1000) {
        out.push(...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut)));
      } else if (cut === 0) {
        feed(stream);
      } else {
        continue;
      }
      assert.deepEqual(out, packets, `cut ${cut} step ${step}`);
      assert.equal(d.pendingBytes, 0);
    }
  }
});

test('ICE-TCP: a frame over the limit is refused; empty frames are skipped; pending tail is a copy', () => {
  const d = new IceTcpDeframer(1500);
  assert.throws(() => d.push(Buffer.from([0x40, 0x00])), (e: unknown) => e instanceof ProtocolError && e.code === 5032);
  const d2 = new IceTcpDeframer();
  const chunk = Buffer.from([0, 0, 0, 2, 9]);
  assert.deepEqual(d2.push(chunk), []);
  chunk.fill(0);
  assert.deepEqual(d2.push(Buffer.from([8])), [Buffer.from([9, 8])]);
  assert.throws(() => frameIceTcp(Buffer.alloc(70000)), ProtocolError);
});
