// Small helpers that make violation messages point at a file and line a human can open.

export interface Located {
  readonly line?: number;
}

/** `a (a.jsonl:17)` — the member and where in its file. */
export function at(me: string, file: string, event?: Located): string {
  return event?.line !== undefined ? `${me} (${file}:${event.line})` : `${me} (${file})`;
}

/** A short, bounded rendering of a list: messages must stay readable when a set has thousands of entries. */
export function list(items: readonly (string | number)[], max = 5): string {
  const shown = items.slice(0, max).map(String).join(', ');
  return items.length > max ? `[${shown}, ... ${items.length - max} more]` : `[${shown}]`;
}

export function seqText(seq: number | null): string {
  return seq === null ? 'no seq' : `seq ${seq}`;
}
