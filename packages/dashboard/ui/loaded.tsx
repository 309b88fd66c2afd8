/**
 * Loads a page's data through the API and shows the loading line, the sign-in form (on 401), the
 * error (on any other refusal), or the page. Every page goes through it, so a token asked for on
 * one page serves them all.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, hasToken, setToken, TokenNeeded } from './api-client';
import { TokenForm } from './token-form';

type State<T> =
  | { readonly kind: 'loading' }
  | { readonly kind: 'token'; readonly refused: boolean }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'ready'; readonly data: T };

/** What a load failed with, as a line a user can read. */
export function problemText(error: unknown): string {
  if (error instanceof ApiProblem) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export function Loaded<T>(props: {
  /** Reads the data; it runs again when `keyOf` changes or after a token is given. */
  readonly load: () => Promise<T>;
  readonly keyOf: string;
  readonly children: (data: T, reload: () => void) => ComponentChildren;
}) {
  const [state, setState] = useState<State<T>>({ kind: 'loading' });
  // The latest load, read at each run: a page may pass a new function at every render, and only
  // `keyOf` says that what it reads has changed.
  const load = useRef(props.load);
  load.current = props.load;
  const run = useCallback(() => {
    let live = true;
    load.current().then(
      (data) => live && setState({ kind: 'ready', data }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof TokenNeeded) setState({ kind: 'token', refused: hasToken() });
        else setState({ kind: 'error', message: problemText(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [props.keyOf]);
  useEffect(run, [run]);

  if (state.kind === 'loading') {
    return (
      <p class="status" role="status">
        Loading…
      </p>
    );
  }
  if (state.kind === 'token') {
    return (
      <TokenForm
        refused={state.refused}
        onToken={(token) => {
          setToken(token);
          setState({ kind: 'loading' });
          run();
        }}
      />
    );
  }
  if (state.kind === 'error') {
    return (
      <p class="error" role="alert">
        <span aria-hidden="true">⚠ </span>
        {state.message}
      </p>
    );
  }
  return <>{props.children(state.data, run)}</>;
}
