/**
 * One request to a node's ops endpoint (`vsync status`, `vsync recover`): the URL checked, the bearer token sent,
 * a bounded wait, and every failure turned into the one line the command prints.
 */

export type OpsAnswer = { ok: true; status: number; text: string } | { ok: false; exit: number; line: string };

/** The endpoint's URL with `path` when none was given; throws an Error with the line to print when it is not one. */
export function opsUrl(given: string | undefined, path: string): URL {
  let url: URL;
  try {
    url = new URL(given ?? '');
  } catch {
    throw new Error(`invalid URL '${given ?? ''}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`<http-url> must be http:// or https://, got '${given}'`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = path;
  return url;
}

export async function opsRequest(command: string, url: URL, o: { token?: string; timeoutMs: number; json?: unknown }): Promise<OpsAnswer> {
  const headers: Record<string, string> = o.token ? { Authorization: `Bearer ${o.token}` } : {};
  if (o.json !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method: o.json === undefined ? 'GET' : 'POST',
      headers,
      ...(o.json === undefined ? {} : { body: JSON.stringify(o.json) }),
      signal: AbortSignal.timeout(o.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, exit: 1, line: `${command}: cannot reach ${url.href}: ${e.name === 'TimeoutError' ? `no answer in ${o.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message)}` };
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401) {
    return { ok: false, exit: 1, line: `${command}: VSYNC_ERR_AUTH: ${url.origin} wants a bearer token${o.token ? ' (the one given was refused)' : ''}: pass --token or set VSYNC_HTTP_TOKEN` };
  }
  return { ok: true, status: res.status, text };
}
