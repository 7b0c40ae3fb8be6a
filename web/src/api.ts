// The leolink HTTP API as the map uses it: JSON in and out, the operator's key as a Bearer
// token, and application/problem+json errors turned into an ApiError whose message is the
// problem's `detail` (what the user should read).

const KEY_STORAGE = "leolink.apiKey";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    /** The whole problem document (extra members such as ``suggested_resolution``). */
    readonly problem: Record<string, unknown> | null = null,
  ) {
    super(detail || title || `HTTP ${status}`);
  }
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

type Query = Record<string, string | number | null | undefined>;

export function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined) params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; auth?: boolean; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const key = apiKey();
  if (options.auth) {
    if (!key) throw new ApiError(401, "No API key", "Enter an operator's API key in the Operator tab first.");
    headers.Authorization = `Bearer ${key}`;
  }
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url(path, options.query), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  let payload: any = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const detail = payload?.detail;
    throw new ApiError(
      response.status,
      payload?.title ?? response.statusText,
      typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : text.slice(0, 300),
      payload && typeof payload === "object" ? payload : null,
    );
  }
  return payload as T;
}

export const get = <T>(path: string, query?: Query, auth = false, signal?: AbortSignal) =>
  request<T>("GET", path, { query, auth, signal });

export const post = <T>(path: string, body: unknown, auth = true) =>
  request<T>("POST", path, { body, auth });

/**
 * `ask(resolution)`, and once more at the service's `suggested_resolution` when it refuses the
 * first with 422 (too many cells for one request); returns the payload and the resolution used.
 */
export async function atFittingResolution<T>(
  resolution: number,
  ask: (resolution: number) => Promise<T>,
): Promise<{ payload: T; resolution: number }> {
  try {
    return { payload: await ask(resolution), resolution };
  } catch (error) {
    const suggested = error instanceof ApiError && error.status === 422 ? Number(error.problem?.suggested_resolution) : NaN;
    if (!Number.isInteger(suggested) || suggested >= resolution || suggested < 0) throw error;
    return { payload: await ask(suggested), resolution: suggested };
  }
}

/** A list out of a response that is either a bare array or an object holding one. */
export function listOf<T>(payload: unknown, ...names: string[]): T[] {
  if (Array.isArray(payload)) return payload as T[];
  if (payload && typeof payload === "object") {
    for (const name of [...names, "items", "results", "records"]) {
      const value = (payload as Record<string, unknown>)[name];
      if (Array.isArray(value)) return value as T[];
    }
  }
  return [];
}

/** Every item of a paged list (`{items, next}`, `next` passed back as `after`). */
export async function getAll<T>(path: string, query: Query = {}, auth = false, maxPages = 50): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const payload: any = await get(path, { ...query, after }, auth);
    out.push(...listOf<T>(payload));
    after = payload && !Array.isArray(payload) && payload.next != null ? String(payload.next) : null;
    if (after === null) break;
  }
  return out;
}
