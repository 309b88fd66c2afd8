/** The dashboard app: a top bar and the page the URL's fragment names (see routes.ts). */
import './app.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { hasToken, setToken, watchToken } from './api-client';
import { loadDefinitions } from './handlers-data';
import { HandlersPage } from './handlers-page';
import { Loaded } from './loaded';
import { NAV, parseRoute, type Route } from './routes';
import { loadTask } from './task-data';
import { TaskPage } from './task-page';
import { TasksPage } from './tasks-page';
import { rangeOf } from './trends-data';
import { TrendsPage } from './trends-page';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function Page(props: { readonly route: Route }) {
  const { route } = props;
  switch (route.page) {
    case 'handlers':
      return (
        <Loaded load={loadDefinitions} keyOf="handlers">
          {(definitions) => <HandlersPage definitions={definitions} />}
        </Loaded>
      );
    case 'tasks':
      return <TasksPage query={route.query} />;
    case 'task':
      return (
        <Loaded load={() => loadTask(route.id)} keyOf={`task:${route.id}`}>
          {(task, reload) => <TaskPage task={task} reload={reload} />}
        </Loaded>
      );
    case 'trends':
      return <TrendsPage range={rangeOf(route.query)} />;
  }
}

function App() {
  const route = useRoute();
  // Forgetting the token remounts the page, which then asks for one again.
  const [epoch, setEpoch] = useState(0);
  const [, setTokenShown] = useState(hasToken());
  useEffect(() => watchToken(() => setTokenShown(hasToken())), []);
  const current = route.page === 'task' ? 'tasks' : route.page;
  return (
    <>
      <header class="top">
        <span class="brand">Tasker</span>
        <nav aria-label="Pages">
          {NAV.map((n) => (
            <a key={n.page} href={n.href} aria-current={n.page === current ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        {hasToken() ? (
          <button
            type="button"
            onClick={() => {
              setToken(undefined);
              setEpoch(epoch + 1);
            }}
          >
            Forget token
          </button>
        ) : null}
      </header>
      <main id={route.page} key={`${route.page}:${epoch}`}>
        <Page route={route} />
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
