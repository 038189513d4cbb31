// Public API of the trace checker. It depends on node: built-ins only, never on the protocol it judges.
export { checkTraces, checkTraceDir, formatReport, totalViolations, PROPERTIES } from './checker.js';
export type { CheckOptions, CheckReport, PropertyName } from './checker.js';
export { readTraceDir, parseTraceText } from './read-traces.js';
export { indexTraces } from './index-traces.js';
export type { TraceIndex, MemberIndex, Segment, TraceStats } from './index-traces.js';
export type {
  BlockEvent,
  DeliverEvent,
  EndEvent,
  InstallEvent,
  LeaveEvent,
  MemberTrace,
  OrderClass,
  OtherEvent,
  SendEvent,
  StateEvent,
  TraceEvent,
  Violation,
  ViewInfo,
} from './trace-types.js';
