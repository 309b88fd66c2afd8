/** The task's transition log: every state change of the task and its steps, oldest first. */
import { durationText, stateText } from './state-look';
import type { Transition } from './task-data';

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function TransitionLog(props: {
  readonly transitions: readonly Transition[];
  /** How many of the oldest the API left out (over its byte budget). */
  readonly omitted: number;
}) {
  const first = props.transitions[0];
  const start = first === undefined ? 0 : Date.parse(first.created_at);
  return (
    <>
      {props.omitted > 0 ? (
        <p class="muted">
          The {props.omitted} oldest transitions were left out of the answer (over the API's byte budget).
        </p>
      ) : null}
      <div class="table-scroll">
        <table class="transitions">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">At</th>
              <th scope="col">Step</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Reason</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {props.transitions.map((t) => {
              const metadata = Object.keys(t.metadata).length === 0 ? '' : JSON.stringify(t.metadata);
              return (
                <tr
                  key={t.id}
                  data-transition={t.id}
                  data-to={t.to_state}
                  data-step={t.step_name ?? undefined}
                >
                  <td>{t.id}</td>
                  <td>
                    <time dateTime={t.created_at} title={t.created_at}>
                      +{durationText(Date.parse(t.created_at) - start)}
                    </time>
                  </td>
                  <td>{t.step_name ?? <em>task</em>}</td>
                  <td>{t.from_state === null ? '—' : stateText(t.from_state)}</td>
                  <td class={`state-text state-${t.to_state}`}>{stateText(t.to_state)}</td>
                  <td>{t.reason ?? ''}</td>
                  <td class="mono" title={metadata}>
                    {clip(metadata, 120)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
