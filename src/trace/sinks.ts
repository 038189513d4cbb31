import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type TraceLine = { ev: string; me: string } & Record<string, unknown>;

export interface TraceSink {
  write(line: TraceLine): void;
  close(): void;
}

/** The trace file of member incarnation `me` in `dir` (docs/trace-format.md: one file per incarnation). */
export function traceFilePath(dir: string, me: string): string {
  return `${dir}/${me.replace(/[^A-Za-z0-9#._-]/g, '_')}.jsonl`;
}

/** Keeps lines in memory (the simulator checks them without touching the disk). */
export class MemorySink implements TraceSink {
  readonly lines: TraceLine[] = [];
  write(line: TraceLine): void {
    this.lines.push(line);
  }
  close(): void {}
}

/**
 * Appends one JSON line per event with a synchronous write, so a process killed with SIGKILL loses at most a
 * torn last line, as the trace format requires.
 */
export class FileSink implements TraceSink {
  private fd: number | null;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }
  write(line: TraceLine): void {
    if (this.fd === null) return;
    writeSync(this.fd, JSON.stringify(line) + '\n');
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
