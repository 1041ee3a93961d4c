/** What a live drill measured, per strategy, for `herd simulate --measured drill.json`. */
export interface Measured {
  amplification: number;
  /** Origin queries during the outage (--trigger outage). */
  during?: number;
  /** Share of rounds that ended stale (--writes). */
  staleRate?: number;
}
