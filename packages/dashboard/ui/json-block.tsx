/**
 * A JSON value, collapsed under its label and cut to a size: a context or a result can be
 * megabytes, and the page must stay light. "Show all" draws the rest on request.
 */
import { useState } from 'preact/hooks';

/** Characters shown before "Show all". */
export const JSON_LIMIT = 4_000;

export function JsonBlock(props: {
  readonly label: string;
  readonly value: unknown;
  readonly omitted?: boolean;
}) {
  const [all, setAll] = useState(false);
  if (props.omitted === true) {
    return (
      <p class="muted" data-json={props.label}>
        {props.label}: left out of the answer (over the API's byte budget).
      </p>
    );
  }
  const text = props.value === undefined ? 'undefined' : JSON.stringify(props.value, null, 2);
  const cut = !all && text.length > JSON_LIMIT;
  return (
    <details class="json" data-json={props.label}>
      <summary>
        {props.label} <span class="muted">({text.length.toLocaleString('en')} characters)</span>
      </summary>
      <pre>{cut ? `${text.slice(0, JSON_LIMIT)}…` : text}</pre>
      {cut ? (
        <button type="button" onClick={() => setAll(true)}>
          Show all {text.length.toLocaleString('en')} characters
        </button>
      ) : null}
    </details>
  );
}
