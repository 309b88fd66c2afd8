/** The dashboard app: loads the definitions, asks for a token when the API wants one. */
import './app.css';
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiProblem, hasToken, setToken, TokenNeeded } from './api-client';
import { type Definition, loadDefinitions } from './handlers-data';
import { HandlersPage } from './handlers-page';
import { TokenForm } from './token-form';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'token'; readonly refused: boolean }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'ready'; readonly definitions: readonly Definition[] };

function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const load = useCallback(() => {
    setState({ kind: 'loading' });
    loadDefinitions().then(
      (definitions) => setState({ kind: 'ready', definitions }),
      (error: unknown) => {
        if (error instanceof TokenNeeded) setState({ kind: 'token', refused: hasToken() });
        else if (error instanceof ApiProblem) setState({ kind: 'error', message: error.message });
        else setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
      },
    );
  }, []);
  useEffect(load, []);

  return (
    <>
      <header class="top">
        <span class="brand">Tasker</span>
        <nav aria-label="Pages">
          <a href="#handlers" aria-current="page">
            Handlers
          </a>
        </nav>
        {hasToken() ? (
          <button
            type="button"
            onClick={() => {
              setToken(undefined);
              load();
            }}
          >
            Forget token
          </button>
        ) : null}
      </header>
      <main id="handlers">
        {state.kind === 'loading' ? (
          <p class="status" role="status">
            Loading…
          </p>
        ) : state.kind === 'token' ? (
          <TokenForm
            refused={state.refused}
            onToken={(token) => {
              setToken(token);
              load();
            }}
          />
        ) : state.kind === 'error' ? (
          <p class="error" role="alert">
            <span aria-hidden="true">⚠ </span>
            {state.message}
          </p>
        ) : (
          <HandlersPage definitions={state.definitions} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
