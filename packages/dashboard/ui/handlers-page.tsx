/** The Handlers page: every registered task definition (namespace, name, version) with its DAG. */
import { DagView } from './dag-view';
import type { Definition } from './handlers-data';

export function HandlersPage(props: { readonly definitions: readonly Definition[] }) {
  if (props.definitions.length === 0) {
    return <p class="empty">No task definition is registered.</p>;
  }
  return (
    <section aria-labelledby="handlers-title">
      <h1 id="handlers-title">Handlers</h1>
      <p class="summary">
        {props.definitions.length} task definition{props.definitions.length === 1 ? '' : 's'}. Arrows point
        from a step to the steps that depend on it.
      </p>
      {props.definitions.map((d, i) => {
        const title = `${d.namespace}.${d.name} ${d.version}`;
        return (
          <article
            key={title}
            class="definition"
            data-definition={`${d.namespace}/${d.name}/${d.version}`}
            aria-labelledby={`definition-${i}`}
          >
            <h2 id={`definition-${i}`}>
              <span class="namespace">{d.namespace}</span>
              <span class="sep">.</span>
              <span class="name">{d.name}</span> <span class="version">v{d.version}</span>
            </h2>
            {d.description === null ? null : <p class="description">{d.description}</p>}
            <div class="dag-scroll">
              <DagView
                id={String(i)}
                title={title}
                steps={d.step_templates}
                edges={d.dependency_graph.edges}
              />
            </div>
          </article>
        );
      })}
    </section>
  );
}
