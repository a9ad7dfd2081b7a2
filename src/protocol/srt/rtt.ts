// RTT estimate shared by both directions (draft-sharabayko-srt §4.10): smoothed like TCP,
// rtt = 7/8 rtt + 1/8 sample, var = 3/4 var + 1/4 |rtt - sample|; starts at 100 ms / 50 ms.

export class RttEstimator {
  rttUs = 100_000;
  rttVarUs = 50_000;
  private sampled = false;

  /** A sample measured here (ACK -> ACKACK). */
  sample(us: number): void {
    if (us <= 0) us = 1;
    if (!this.sampled) {
      this.sampled = true;
      this.rttUs = us;
      this.rttVarUs = us / 2;
      return;
    }
    this.rttVarUs = (3 * this.rttVarUs + Math.abs(this.rttUs - us)) / 4;
    this.rttUs = (7 * this.rttUs + us) / 8;
  }

  /** The peer's own estimate, carried in its ACK: taken as is when we have none, else smoothed in. */
  peerEstimate(rttUs: number, rttVarUs: number): void {
    if (rttUs <= 0) return;
    if (!this.sampled) {
      this.rttUs = rttUs;
      this.rttVarUs = rttVarUs;
      return;
    }
    this.rttUs = (7 * this.rttUs + rttUs) / 8;
    this.rttVarUs = (3 * this.rttVarUs + rttVarUs) / 4;
  }
}
