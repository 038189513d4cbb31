import { at, list } from '../describe.js';
import type { TraceIndex } from '../index-traces.js';
import type { Violation } from '../trace-types.js';

/** A member is in every view it installs. */
export function checkSelfInclusion(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  for (const m of index.members) {
    for (const seg of m.segments) {
      if (!seg.view.members.includes(m.me)) {
        out.push({
          property: 'self-inclusion',
          message: `${at(m.me, m.file, seg.install)} installed view ${seg.view.id} ${list(seg.view.members, 12)}, which does not include it`,
        });
      }
    }
  }
  return out;
}

/** View ids strictly increase along each member's installs. */
export function checkLocalMonotonicity(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  for (const m of index.members) {
    for (let i = 1; i < m.segments.length; i++) {
      const prev = m.segments[i - 1]!;
      const seg = m.segments[i]!;
      if (seg.view.id <= prev.view.id) {
        out.push({
          property: 'local-monotonicity',
          message: `${at(m.me, m.file, seg.install)} installed view ${seg.view.id} after view ${prev.view.id}`,
        });
      }
    }
  }
  return out;
}

/** One view id names one member list, rank order included. */
export function checkViewAgreement(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  for (const m of index.members) {
    for (const seg of m.segments) {
      const ref = index.views.get(seg.view.id);
      if (ref === undefined || sameList(ref.members, seg.view.members)) continue;
      out.push({
        property: 'view-agreement',
        message:
          `view ${seg.view.id}: ${at(m.me, m.file, seg.install)} installed members ${list(seg.view.members, 12)} ` +
          `but ${ref.firstInstalledBy} installed ${list(ref.members, 12)}`,
      });
    }
  }
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
