/** A member incarnation, `name#incarnation`. Never reused: a member that comes back gets a new one. */
export type MemberId = string;

export interface View {
  id: number;
  /** Rank order: the coordinator (and sequencer) first. */
  members: readonly MemberId[];
}
