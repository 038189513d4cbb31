/**
 * Deliberate breakages of the protocol, for testing the checker of `src/check/` (the simulator's `--mutation`):
 * each breaks one guarantee, and the checker must notice. Read at the few places concerned in `member.ts`;
 * never set outside tests.
 * - `skip-flush`: installs a decided view with whatever it holds, instead of fetching up to the agreed cut.
 * - `no-resend`: forgets its own messages that were not delivered in the old view.
 * - `early-deliver`: delivers what it receives at once, without waiting for a majority to hold it.
 * - `deliver-before-state`: a joiner delivers messages of its new view before the state it joins with.
 */
export type CoreMutation = 'skip-flush' | 'no-resend' | 'early-deliver' | 'deliver-before-state';
