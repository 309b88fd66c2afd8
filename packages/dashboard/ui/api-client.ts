/**
 * The page's access to the Tasker REST API: same origin, under the prefix the server wrote into
 * the page. With JWT on, the user's token is held in this module only (memory): never in
 * storage, a cookie or a URL, so a reload asks for it again.
 */

/** The API answered 401: the page must ask for a token. */
export class TokenNeeded extends Error {}

/** The API refused or failed: its problem answer's title and detail. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let token: string | undefined;
const watchers = new Set<() => void>();

export function setToken(value: string | undefined): void {
  token = value === undefined || value.trim() === '' ? undefined : value.trim();
  for (const w of watchers) w();
}

/** Calls `watcher` after each {@link setToken}; returns the function that stops it. */
export function watchToken(watcher: () => void): () => void {
  watchers.add(watcher);
  return () => watchers.delete(watcher);
}

/** The `Authorization` header for the token, if one was given. */
export function authHeaders(): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}

export function hasToken(): boolean {
  return token !== undefined;
}

/** The API's prefix, from `<meta name="tasker-api">`. */
export function apiBase(): string {
  return document.querySelector('meta[name="tasker-api"]')?.getAttribute('content') ?? '/tasker';
}

/** GETs `path` under the prefix as JSON. Throws {@link TokenNeeded} on 401, {@link ApiProblem} on others. */
export async function getJson<T>(path: string): Promise<T> {
  return (await send('GET', path)).json() as Promise<T>;
}

/**
 * Sends `body` (if any) as JSON with `method` to `path` under the prefix, with the user's token,
 * and reads the JSON answer. Throws as {@link getJson}: a 403 is an {@link ApiProblem} whose
 * message names the permission the token lacks.
 */
export async function sendJson<T>(
  method: 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  return (await send(method, path, body)).json() as Promise<T>;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${apiBase()}${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401)
    throw new TokenNeeded(token === undefined ? 'A token is needed' : 'The token was refused');
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const problem = (await response.json()) as { title?: string; detail?: string };
      message = [problem.title, problem.detail].filter(Boolean).join(': ') || message;
    } catch {
      // Not a problem document; the status says enough.
    }
    throw new ApiProblem(response.status, message);
  }
  return response;
}

/** The live feed's path (Server-Sent Events), from `<meta name="tasker-live">`. */
export function livePath(): string {
  return (
    document.querySelector('meta[name="tasker-live"]')?.getAttribute('content') ?? `${apiBase()}/ui-live`
  );
}
