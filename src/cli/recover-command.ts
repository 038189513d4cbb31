import { parseArgs } from 'node:util';
import type { RecoverResult } from '../api/recover.js';
import { opsRequest, opsUrl } from './ops-client.js';

const USAGE = `usage: vsync recover <http-url> --group <g> --confirm [--token <t>] [--timeout-ms <ms>]
  Recovery after a lost majority (docs/deploy.md): on a member blocked in a minority of its view, ends that instance of
  the group and founds a new lineage (a new group id) with the members that can still be reached, from the state of
  the one that delivered the most. Messages delivered only by the unreachable members are LOST. Never automatic.
  <http-url>        a survivor's ops endpoint (vsync member --http host:port), e.g. http://127.0.0.1:9100
  --group <g>       the blocked group
  --confirm         required: you accept that what only the lost members delivered is gone
  --token <t>       the endpoint's bearer token (--http-token); default: $VSYNC_HTTP_TOKEN
  --timeout-ms <ms> give up waiting for the answer after this long (default 35000)
Exit 0: recovered; 1: refused (the reason with its code, e.g. VSYNC_ERR_NOT_IN_MINORITY) or unreachable; 2: usage.`;

/** `vsync recover`: asks a running member, through its ops endpoint, to recover a group from a lost majority. */
export async function runRecoverCommand(args: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  let v;
  let positionals: string[];
  let url: URL;
  let timeoutMs: number;
  try {
    ({ values: v, positionals } = parseArgs({
      args,
      options: { group: { type: 'string' }, confirm: { type: 'boolean' }, token: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }));
    if (v.help) {
      out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('takes exactly one <http-url>');
    if (!v.group) throw new Error('--group is required');
    if (!v.confirm) throw new Error('--confirm is required: a recovery loses whatever only the unreachable members delivered');
    timeoutMs = Number(v['timeout-ms'] ?? '35000');
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms takes a positive integer, got '${v['timeout-ms']}'`);
    url = opsUrl(positionals[0], '/recover');
  } catch (e) {
    err(`vsync recover: VSYNC_ERR_INVALID_ARGUMENT: ${(e as Error).message}`);
    err(USAGE);
    return 2;
  }
  const answer = await opsRequest('vsync recover', url, { token: v.token ?? process.env['VSYNC_HTTP_TOKEN'], timeoutMs, json: { group: v.group, confirm: true } });
  if (!answer.ok) {
    err(answer.line);
    return answer.exit;
  }
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    // reported below with the status
  }
  if (answer.status !== 200) {
    const code = typeof body['error'] === 'string' ? body['error'] : `HTTP ${answer.status}`;
    err(`vsync recover: ${code}: ${typeof body['message'] === 'string' ? body['message'] : answer.text.slice(0, 200)}`);
    return 1;
  }
  const r = body as unknown as RecoverResult;
  out(`recovered group=${r.group} from=${r.previousGroupId} to=${r.groupId} founder=${r.founder} survivors=${r.survivors.join(',')} kept-seq=${r.keptSeq}`);
  out('warning: messages delivered only by the unreachable members after seq ' + String(r.keptSeq) + ' are lost; restart the lost nodes with their usual command to rejoin the new lineage');
  return 0;
}
