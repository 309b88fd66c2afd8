/**
 * The page's places, in the URL's fragment so that a link or a reload lands on the same view and
 * the server serves one page: `#handlers`, `#tasks?state=error`, `#task/<id>`, `#trends`.
 */

export type Route =
  | { readonly page: 'handlers' }
  | { readonly page: 'tasks'; readonly query: URLSearchParams }
  | { readonly page: 'task'; readonly id: string }
  | { readonly page: 'trends'; readonly query: URLSearchParams };

/** The pages the top bar links to, in its order. */
export const NAV: readonly { readonly page: Route['page']; readonly label: string; readonly href: string }[] =
  [
    { page: 'tasks', label: 'Tasks', href: '#tasks' },
    { page: 'trends', label: 'Trends', href: '#trends' },
    { page: 'handlers', label: 'Handlers', href: '#handlers' },
  ];

/** The route of a fragment (`location.hash`); an unknown one is the task list. */
export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  if (path === 'handlers') return { page: 'handlers' };
  if (path === 'trends') return { page: 'trends', query };
  if (path.startsWith('task/') && path.length > 'task/'.length) {
    return { page: 'task', id: decodeURIComponent(path.slice('task/'.length)) };
  }
  return { page: 'tasks', query };
}

/** The fragment of a task's detail page. */
export function taskHref(id: string): string {
  return `#task/${encodeURIComponent(id)}`;
}
