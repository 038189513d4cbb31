import { FileSink, traceFilePath } from './sinks.js';

/**
 * Starts the trace file of incarnation `me` with a `lineage` line: the incarnation belongs to instance `gid` of its
 * group, recovered from instance `parent` (docs/trace-format.md). Written before the member's own recorder opens the
 * same file for appending, so it is the file's first line; the checker judges each lineage on its own.
 */
export function writeLineage(dir: string, me: string, gid: string, parent: string): void {
  const sink = new FileSink(traceFilePath(dir, me));
  sink.write({ ev: 'lineage', me, gid, parent });
  sink.close();
}
