import { at } from '../describe.js';
import type { TraceIndex } from '../index-traces.js';
import type { Violation } from '../trace-types.js';

/** Members that log `state` for the same view log the same digest. */
export function checkStateAgreement(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const first = new Map<number, { me: string; hash: string }>();
  for (const m of index.members) {
    for (const seg of m.segments) {
      for (const s of seg.states) {
        const ref = first.get(s.view);
        if (ref === undefined) {
          first.set(s.view, { me: m.me, hash: s.hash });
        } else if (ref.hash !== s.hash) {
          out.push({
            property: 'state-agreement',
            message: `view ${s.view}: ${at(m.me, m.file, s)} logged state ${s.hash} but ${ref.me} logged ${ref.hash}`,
          });
        }
      }
    }
  }
  return out;
}
