/** Calls to the console's JSON API (same origin; the browser sends the login itself). */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly col?: number,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | undefined | null>;

export function qs(params: Params): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path + qs(params), { signal, headers: { accept: 'application/json' } });
  // A body cut short (the connection dropped mid-response) is an error to show, never an empty
  // answer for the page to read fields of.
  const body = (await res.json().catch(() => undefined)) as { error?: string; col?: number } | undefined;
  if (!res.ok) throw new ApiError(res.status, body?.error ?? `${res.status} ${res.statusText}`, body?.col);
  if (body === undefined || typeof body !== 'object') throw new ApiError(res.status, `incomplete answer from ${path}: reload to try again`);
  return body as T;
}

/** Route state lives in the URL hash: #/search?where=...&since=1h */
export interface Route {
  page: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const h = location.hash.replace(/^#/, '') || '/live';
  const [p, q] = h.split('?');
  return { page: p.replace(/^\//, '') || 'live', params: new URLSearchParams(q ?? '') };
}

export function href(page: string, params: Params = {}): string {
  return `#/${page}${qs(params)}`;
}

export function navigate(page: string, params: Params = {}, replace = false): void {
  const h = href(page, params);
  if (replace) history.replaceState(null, '', h);
  else location.hash = h;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}
