/**
 * The Handlers page: every registered task (namespace, name) with a version picker; the picked
 * version's DAG, with the steps new or changed since the version before marked, and those removed
 * listed.
 */
import { useState } from 'preact/hooks';
import { DagView } from './dag-view';
import type { Definition } from './handlers-data';
import { diffVersions } from './version-diff';

function TaskCard(props: { readonly versions: readonly Definition[]; readonly index: number }) {
  const { versions, index } = props;
  const [picked, setPicked] = useState(versions.length - 1);
  const d = versions[picked] as Definition;
  const earlier = picked > 0 ? versions[picked - 1] : undefined;
  const diff = earlier === undefined ? undefined : diffVersions(earlier.step_templates, d.step_templates);
  const title = `${d.namespace}.${d.name} ${d.version}`;
  return (
    <article class="definition" data-task={`${d.namespace}/${d.name}`} aria-labelledby={`task-${index}`}>
      <div class="definition-head">
        <h2 id={`task-${index}`}>
          <span class="namespace">{d.namespace}</span>
          <span class="sep">.</span>
          <span class="name">{d.name}</span>
        </h2>
        <label class="version-picker">
          Version{' '}
          <select value={String(picked)} onChange={(e) => setPicked(Number(e.currentTarget.value))}>
            {versions.map((v, i) => (
              <option key={v.version} value={String(i)}>
                {v.version}
                {i === versions.length - 1 ? ' (latest)' : ''}
              </option>
            ))}
          </select>
        </label>
      </div>
      {d.description === null ? null : <p class="description">{d.description}</p>}
      {earlier === undefined || diff === undefined ? null : (
        <p class="diff" data-diff>
          Since {earlier.version}: {Object.values(diff.marks).filter((m) => m === 'added').length} new,{' '}
          {Object.values(diff.marks).filter((m) => m === 'changed').length} changed,{' '}
          {diff.removed.length === 0 ? 'none removed' : `removed ${diff.removed.join(', ')}`}.
        </p>
      )}
      <div class="dag-scroll" data-definition={`${d.namespace}/${d.name}/${d.version}`}>
        <DagView
          id={String(index)}
          title={title}
          steps={d.step_templates}
          edges={d.dependency_graph.edges}
          {...(diff === undefined ? {} : { marks: diff.marks })}
        />
      </div>
    </article>
  );
}

export function HandlersPage(props: { readonly definitions: readonly Definition[] }) {
  if (props.definitions.length === 0) {
    return <p class="empty">No task definition is registered.</p>;
  }
  const tasks = new Map<string, Definition[]>();
  for (const d of props.definitions) {
    const key = `${d.namespace}/${d.name}`;
    tasks.set(key, [...(tasks.get(key) ?? []), d]);
  }
  return (
    <section aria-labelledby="handlers-title">
      <h1 id="handlers-title">Handlers</h1>
      <p class="summary">
        {tasks.size} task{tasks.size === 1 ? '' : 's'}, {props.definitions.length} version
        {props.definitions.length === 1 ? '' : 's'}. Arrows point from a step to the steps that depend on it.
      </p>
      {[...tasks.entries()].map(([key, versions], i) => (
        <TaskCard key={key} versions={versions} index={i} />
      ))}
    </section>
  );
}
