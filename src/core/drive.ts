import type { CoreEvent, Outgoing, Ready } from './events.js';

/**
 * Where one hand-over of a member's output goes. The runtime (real sockets), the simulator and the test cluster
 * all take a member's output through `handOver`, so the three see events and frames in the same order.
 */
export interface OutputSink {
  /**
   * Sees every event of the hand-over (up to the incarnation's end) before any frame of it leaves: a trace then
   * writes a `send` line before the frame that carries the message can reach anyone.
   */
  record?(event: CoreEvent): void;
  /** Each frame, in the order the core produced them. */
  frame(out: Outgoing): void;
  /**
   * The events in order, after the frames: a leader that leaves or is excluded still sends the view that lets the
   * others go on. Returning 'ended' says this incarnation is over: the events after it are not handed over.
   */
  event(event: CoreEvent): void | 'ended';
}

/** The events that end an incarnation: the core emits nothing after them, and no sink is handed anything after. */
export function endsIncarnation(e: CoreEvent): boolean {
  return e.type === 'excluded' || e.type === 'left';
}

/**
 * Hands one `Member.ready()` output to `sink`, in the one order every driver uses: (1) events to `record`,
 * (2) frames to `frame`, (3) events to `event`. Input the sink gives the member meanwhile (a snapshot handed over
 * on `snapshot`) is in the member's next output, not this one. Returns true when the incarnation ended.
 */
export function handOver(ready: Ready, sink: OutputSink): boolean {
  if (sink.record) {
    for (const e of ready.events) {
      sink.record(e);
      if (endsIncarnation(e)) break;
    }
  }
  for (const out of ready.frames) sink.frame(out);
  for (const e of ready.events) {
    if (sink.event(e) === 'ended') return true;
  }
  return false;
}
