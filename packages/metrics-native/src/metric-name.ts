/**
 * Prometheus and OpenMetrics naming rules, checked when an instrument is made so that every
 * snapshot can be exported as it is.
 *
 * - Metric and label names match `[a-zA-Z_][a-zA-Z0-9_]*`. Colons are legal in Prometheus but
 *   reserved for recording rules, so instruments may not use them.
 * - Names starting with `__` are reserved for Prometheus itself.
 * - A counter's name ends in `_total`; the OpenMetrics family is the name without it.
 * - A unit is the last `_`-separated part (or parts) of the name, without `_total`: Prometheus
 *   rejects a whole OpenMetrics scrape whose `# UNIT` is not a suffix of the family name.
 */

/** The kinds of instrument a registry holds. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** What a metric name must match. */
export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** What a label name must match. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** What a unit must match: letters, digits and `_`, starting with a letter or digit. */
export const UNIT = /^[a-zA-Z0-9][a-zA-Z0-9_]*$/;

/**
 * The label that marks a family's overflow series, the one series into which label sets past
 * the series limit are folded. It is reserved: no instrument may declare it.
 */
export const OVERFLOW_LABEL = 'tasker_overflow';

/** Why `name` cannot name a metric of `type`, or undefined when it can. */
export function metricNameProblem(type: MetricType, name: string): string | undefined {
  if (!METRIC_NAME.test(name)) {
    return name.includes(':')
      ? `expected no ":" (colons are reserved for recording rules), received ${JSON.stringify(name)}`
      : `expected letters, digits and "_", not starting with a digit, received ${JSON.stringify(name)}`;
  }
  if (name.startsWith('__'))
    return `expected a name not starting with "__" (reserved), received ${JSON.stringify(name)}`;
  if (type === 'counter') {
    if (!name.endsWith('_total') || name.length === '_total'.length) {
      return `expected a counter name ending in "_total" (the Prometheus convention), received ${JSON.stringify(name)}`;
    }
    if (name.endsWith('_total_total')) {
      return `expected "_total" once, received ${JSON.stringify(name)}`;
    }
  } else if (name.endsWith('_total')) {
    return `expected a ${type} name not ending in "_total" (reserved for counters), received ${JSON.stringify(name)}`;
  }
  return undefined;
}

/** The OpenMetrics family name: a counter's name without `_total`, any other name as it is. */
export function familyName(type: MetricType, name: string): string {
  return type === 'counter' ? name.slice(0, -'_total'.length) : name;
}

/** Why `unit` cannot be the unit of metric `name`, or undefined when it can. */
export function unitProblem(type: MetricType, name: string, unit: string): string | undefined {
  if (!UNIT.test(unit)) {
    return `expected letters, digits and "_", starting with a letter or digit, received ${JSON.stringify(unit)}`;
  }
  const family = familyName(type, name);
  if (!family.endsWith(`_${unit}`)) {
    const shown = type === 'counter' ? `"${family}" (the name without "_total")` : `"${family}"`;
    return `expected the unit to be the suffix of the name: ${shown} does not end in "_${unit}"`;
  }
  return undefined;
}

/** Why `label` cannot be a label name of a metric of `type`, or undefined when it can. */
export function labelNameProblem(type: MetricType, label: string): string | undefined {
  if (!LABEL_NAME.test(label)) {
    return `expected letters, digits and "_", not starting with a digit, received ${JSON.stringify(label)}`;
  }
  if (label.startsWith('__'))
    return `expected a label name not starting with "__" (reserved), received ${JSON.stringify(label)}`;
  if (label === OVERFLOW_LABEL) return `"${OVERFLOW_LABEL}" is reserved for the overflow series`;
  if (type === 'histogram' && label === 'le') return '"le" is reserved for histogram buckets';
  return undefined;
}

/**
 * Every name a family takes in the exposition formats: its family name and each sample name.
 * Two families whose sets meet would produce a scrape that Prometheus rejects.
 */
export function reservedNames(type: MetricType, name: string): readonly string[] {
  const family = familyName(type, name);
  switch (type) {
    case 'counter':
      return [family, name, `${family}_created`];
    case 'gauge':
      return [name];
    case 'histogram':
      return [name, `${name}_bucket`, `${name}_count`, `${name}_sum`, `${name}_created`];
  }
}
