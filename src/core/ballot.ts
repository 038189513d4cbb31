/**
 * Flush ballots are totally ordered numbers `round * RANKS + (RANKS - 1 - rank)`: a higher round always wins,
 * and in one round the lower rank (the older member) wins, so two leaders never propose with the same ballot.
 */
export const RANKS = 1024;

export function makeBallot(round: number, rank: number): number {
  return round * RANKS + (RANKS - 1 - rank);
}

export function roundOf(ballot: number): number {
  return Math.floor(ballot / RANKS);
}
