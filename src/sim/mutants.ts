import { Member, type MemberOptions } from '../core/index.js';
import type { Mutation } from './options.js';

/*
 * Broken variants of the core, through its explicit test hook (`MemberOptions.mutation`, src/core/test-hooks.ts).
 * Each breaks one part of the protocol; the simulator's tests require the checker to notice.
 */
export function createMember(opts: MemberOptions, mutation?: Mutation): Member {
  return new Member(mutation ? { ...opts, mutation } : opts);
}
