/**
 * Finding a series from label values without building a key string.
 *
 * Series live in a trie of nested `Map`s, one level per label in declared order: the root maps
 * the first label's value to the next level, and the last level maps a value to the series'
 * slot (a small integer). A lookup is one property read and one `Map.get` per label: no
 * string is built, nothing is allocated.
 *
 * The reads from the caller's labels object are compiled once per instrument: reading
 * `labels[name]` with a different `name` per instrument from one shared function makes V8's
 * property access megamorphic, while a function compiled for one instrument reads fixed
 * property names, which V8 inlines. The benchmark measures both in the same run (case 2,
 * "generic lookup" against the compiled one). Label names are validated
 * identifiers (`[a-zA-Z_][a-zA-Z0-9_]*`) before they reach the generated source. Where code
 * generation is disallowed (`node --disallow-code-generation-from-strings`), a generic loop
 * does the same lookup.
 */

/** A trie level: label value → next level, or → slot at the last level. */
export type LabelTrie = Map<string, LabelTrie | number>;

/** Returns the slot of the series with these labels, or -1 when there is none (or the labels are bad). */
export type LabelLookup = (labels: unknown) => number;

/** Compiles the lookup of an instrument with `labelNames` (at least one) over `root`. */
export function compileLookup(
  labelNames: readonly string[],
  root: LabelTrie,
  allowCodegen = true,
): LabelLookup {
  if (allowCodegen) {
    try {
      return generatedLookup(labelNames, root);
    } catch {
      // Code generation from strings is disallowed in this process: use the generic loop.
    }
  }
  return genericLookup(labelNames, root);
}

function generatedLookup(labelNames: readonly string[], root: LabelTrie): LabelLookup {
  const reads = labelNames.map((name, i) => `v${i} = labels[${JSON.stringify(name)}]`).join(', ');
  const steps: string[] = [];
  let parent = 'root';
  for (let i = 0; i < labelNames.length - 1; i++) {
    steps.push(`const t${i} = ${parent}.get(v${i}); if (t${i} === undefined) return -1;`);
    parent = `t${i}`;
  }
  const last = labelNames.length - 1;
  const source = [
    '"use strict";',
    'return function lookup(labels) {',
    '  if (typeof labels !== "object" || labels === null) return -1;',
    `  const ${reads};`,
    ...steps.map((s) => `  ${s}`),
    `  const slot = ${parent}.get(v${last});`,
    '  return slot === undefined ? -1 : slot;',
    '};',
  ].join('\n');
  // The one place this package generates code; see the comment at the top of this file.
  const factory = new Function('root', source) as (root: LabelTrie) => LabelLookup;
  return factory(root);
}

function genericLookup(labelNames: readonly string[], root: LabelTrie): LabelLookup {
  const count = labelNames.length;
  return (labels) => {
    if (typeof labels !== 'object' || labels === null) return -1;
    let node: LabelTrie | number | undefined = root;
    for (let k = 0; k < count; k++) {
      if (typeof node !== 'object') return -1;
      node = node.get((labels as Record<string, string>)[labelNames[k] as string] as string);
      if (node === undefined) return -1;
    }
    return typeof node === 'number' ? node : -1;
  };
}

/** The slot of the series with label values `values` (in declared order), or -1. */
export function lookupValues(root: LabelTrie, values: readonly string[]): number {
  let node: LabelTrie | number | undefined = root;
  // An indexed loop: on this slow path for-of's iterator is not always optimized away.
  for (let k = 0; k < values.length; k++) {
    if (typeof node !== 'object') return -1;
    node = node.get(values[k] as string);
    if (node === undefined) return -1;
  }
  return typeof node === 'number' ? node : -1;
}

/** Adds the series with label values `values` at `slot`. The path must not hold a series yet. */
export function insertValues(root: LabelTrie, values: readonly string[], slot: number): void {
  let node = root;
  const last = values.length - 1;
  for (let k = 0; k < last; k++) {
    const value = values[k] as string;
    let next = node.get(value);
    if (next === undefined) {
      next = new Map();
      node.set(value, next);
    }
    node = next as LabelTrie;
  }
  node.set(values[last] as string, slot);
}

/** Removes the series with label values `values` and prunes levels left empty. Returns its slot or -1. */
export function deleteValues(root: LabelTrie, values: readonly string[]): number {
  const path: LabelTrie[] = [];
  let node = root;
  const last = values.length - 1;
  for (let k = 0; k < last; k++) {
    const next = node.get(values[k] as string);
    if (typeof next !== 'object') return -1;
    path.push(node);
    node = next;
  }
  const slot = node.get(values[last] as string);
  if (typeof slot !== 'number') return -1;
  node.delete(values[last] as string);
  for (let k = path.length - 1; k >= 0 && node.size === 0; k--) {
    const parent = path[k] as LabelTrie;
    parent.delete(values[k] as string);
    node = parent;
  }
  return slot;
}

/**
 * Visits every series depth-first, in insertion order per level. `visit` gets the label values
 * (a reused array: copy what you keep) and the slot, and returns true to delete the series;
 * levels left empty are pruned.
 */
export function walkTrie(
  root: LabelTrie,
  depth: number,
  visit: (values: readonly string[], slot: number) => boolean,
): void {
  const values: string[] = new Array<string>(depth).fill('');
  const walk = (node: LabelTrie, level: number): void => {
    for (const [value, next] of node) {
      values[level] = value;
      if (typeof next === 'number') {
        if (visit(values, next)) node.delete(value);
      } else {
        walk(next, level + 1);
        if (next.size === 0) node.delete(value);
      }
    }
  };
  walk(root, 0);
}
