/**
 * Prometheus metrics of one node, through prom-client with a registry of its own (never the global one: several
 * nodes may share a process). Values are copied from `node.stats()` at each scrape; the flush-duration histogram is
 * fed as flushes happen. docs/operations.md says what each metric means.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeStats } from '../api/stats.js';

/** Flush durations in seconds: a healthy flush on a LAN takes tens of milliseconds. */
const FLUSH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class OpsMetrics {
  readonly registry = new Registry();
  private readonly flush: Histogram<'group'>;
  private readonly counters: Array<{ metric: Counter<string>; value: (s: NodeStats) => Array<[Record<string, string>, number]> }> = [];
  private readonly gauges: Array<{ metric: Gauge<string>; value: (s: NodeStats) => Array<[Record<string, string>, number]> }> = [];

  constructor() {
    const reg = [this.registry];
    this.flush = new Histogram({
      name: 'vsync_flush_duration_seconds',
      help: 'Time from this member blocking for a view change to the install of the new view',
      labelNames: ['group'],
      buckets: FLUSH_BUCKETS,
      registers: reg,
    });
    const perGroup = (f: (g: NodeStats['groups'][number]) => number) => (s: NodeStats): Array<[Record<string, string>, number]> =>
      s.groups.map((g) => [{ group: g.group }, f(g)]);
    const perPeer = (f: (p: NodeStats['peers'][number]) => number | null) => (s: NodeStats): Array<[Record<string, string>, number]> =>
      s.peers.flatMap((p): Array<[Record<string, string>, number]> => {
        const v = f(p);
        return v === null ? [] : [[{ peer: p.node }, v]];
      });
    const one = (f: (s: NodeStats) => number) => (s: NodeStats): Array<[Record<string, string>, number]> => [[{}, f(s)]];

    this.counter('vsync_deliveries_total', 'Messages delivered at this member, in total order', ['group'], perGroup((g) => g.counts.delivered));
    this.counter('vsync_sends_total', 'Messages multicast by this member (send() calls accepted)', ['group'], perGroup((g) => g.counts.sent));
    this.counter('vsync_view_changes_total', 'Views installed at this member', ['group'], perGroup((g) => g.viewChanges));
    this.counter('vsync_exclusions_total', 'Times this member was excluded from the group', ['group'], perGroup((g) => g.excluded));
    this.counter('vsync_rejoins_total', 'New incarnations started after an exclusion', ['group'], perGroup((g) => g.rejoins));
    this.counter('vsync_minority_reports_total', 'View changes that could not reach a majority of the view', ['group'], perGroup((g) => g.minorityReports));
    this.counter('vsync_transport_bytes_in_total', 'Bytes received from peer nodes', [], one((s) => s.transport.bytesIn));
    this.counter('vsync_transport_bytes_out_total', 'Bytes sent to peer nodes', [], one((s) => s.transport.bytesOut));
    this.counter('vsync_transport_frames_in_total', 'Frames received from peer nodes', [], one((s) => s.transport.framesIn));
    this.counter('vsync_transport_frames_out_total', 'Frames sent to peer nodes', [], one((s) => s.transport.framesOut));
    this.counter('vsync_transport_dropped_total', 'Frames not sent: no route, queue full, too large, or closed', [], one((s) => s.transport.dropped));
    this.counter('vsync_transport_rejected_total', 'Connections refused or closed for a handshake or protocol fault', [], one((s) => s.transport.rejected));

    this.gauge('vsync_primary', '1 when this member is in a primary view of the group, 0 otherwise', ['group'], perGroup((g) => (g.primary ? 1 : 0)));
    this.gauge('vsync_blocked', '1 while a flush is under way (sends wait)', ['group'], perGroup((g) => (g.blocked ? 1 : 0)));
    this.gauge('vsync_view_id', 'Id of the installed view', ['group'], perGroup((g) => g.view?.id ?? 0));
    this.gauge('vsync_view_members', 'Members of the installed view', ['group'], perGroup((g) => g.view?.members.length ?? 0));
    this.gauge('vsync_coordinator', '1 when this member is the coordinator (sequencer) of its view', ['group'], perGroup((g) => (g.view?.members[0]?.self ? 1 : 0)));
    this.gauge('vsync_suspected_members', 'Members of the view this member suspects now', ['group'], perGroup((g) => g.view?.members.filter((m) => m.suspected).length ?? 0));
    this.gauge('vsync_send_window_messages', 'Own messages sent and not yet delivered back', ['group'], perGroup((g) => g.sendWindow.messages));
    this.gauge('vsync_send_window_bytes', 'Payload bytes of own messages not yet delivered back', ['group'], perGroup((g) => g.sendWindow.bytes));
    this.gauge('vsync_send_window_max_messages', 'Bound of the send window in messages', ['group'], perGroup((g) => g.sendWindow.maxMessages));
    this.gauge('vsync_log_messages', 'Ordered messages held until stable at every member', ['group'], perGroup((g) => g.log.messages));
    this.gauge('vsync_log_bytes', 'Payload bytes held in the ordered-message log', ['group'], perGroup((g) => g.log.bytes));
    this.gauge('vsync_delivered_seq', 'Sequence number of the last message delivered here', ['group'], perGroup((g) => g.counts.deliveredSeq));
    this.gauge('vsync_ordered_seq', 'Highest sequence number of the total order received here', ['group'], perGroup((g) => g.counts.orderedSeq));
    this.gauge('vsync_commit_seq', 'Highest sequence number known held by a majority', ['group'], perGroup((g) => g.log.commitSeq));
    this.gauge('vsync_stable_seq', 'Highest sequence number known held by every member', ['group'], perGroup((g) => g.log.stableSeq));
    this.gauge('vsync_last_flush_seconds', 'Duration of the last flush this member blocked for', ['group'], perGroup((g) => (g.lastFlushMs ?? 0) / 1000));
    this.gauge('vsync_peer_up', '1 when an authenticated link to the peer node is open', ['peer'], perPeer((p) => (p.state === 'up' ? 1 : 0)));
    this.gauge('vsync_peer_rtt_seconds', 'Round trip of the last heartbeat to the peer node', ['peer'], perPeer((p) => (p.rttMs === null ? null : p.rttMs / 1000)));
    this.gauge('vsync_peer_queued_bytes', 'Bytes queued for the peer node while it has no link', ['peer'], perPeer((p) => p.queuedBytes));
    this.gauge('vsync_transport_links', 'Open authenticated links to peer nodes', [], one((s) => s.transport.links));
    this.gauge('vsync_uptime_seconds', 'Seconds since the node started', [], one((s) => s.uptimeSec));
  }

  /** A flush this member blocked for took `ms`. */
  observeFlush(group: string, ms: number): void {
    this.flush.observe({ group }, ms / 1000);
  }

  /** The Prometheus text exposition of `stats`. */
  async render(stats: NodeStats): Promise<string> {
    for (const { metric, value } of this.counters) {
      metric.reset();
      for (const [labels, v] of value(stats)) metric.inc(labels, v);
    }
    for (const { metric, value } of this.gauges) {
      metric.reset();
      for (const [labels, v] of value(stats)) metric.set(labels, v);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter(name: string, help: string, labelNames: string[], value: (s: NodeStats) => Array<[Record<string, string>, number]>): void {
    this.counters.push({ metric: new Counter({ name, help, labelNames, registers: [this.registry] }), value });
  }

  private gauge(name: string, help: string, labelNames: string[], value: (s: NodeStats) => Array<[Record<string, string>, number]>): void {
    this.gauges.push({ metric: new Gauge({ name, help, labelNames, registers: [this.registry] }), value });
  }
}
