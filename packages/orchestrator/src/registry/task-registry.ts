/**
 * The task registry: namespace → name → version → definition. Lookups are exact by default,
 * with the original's defaults (namespace `default`, version `0.1.0`); a version may also be
 * `latest` or a semver range (`^1.2.0`), which picks the highest registered match.
 */
import semver from 'semver';
import type { TaskDefinition } from '../definitions/define-task';
import { TaskerError } from '../errors';

/** What identifies a task definition in a lookup. */
export interface TaskRef {
  /** Default `default`. */
  readonly namespace?: string;
  readonly name: string;
  /** An exact version, `latest`, or a semver range. Default `0.1.0`. */
  readonly version?: string;
}

/** Options of `register`. */
export interface RegisterOptions {
  /** Replace a definition already registered under the same namespace, name and version. */
  readonly replace?: boolean;
}

/** A registry of task definitions. Make one with {@link createTaskRegistry}. */
export interface TaskRegistry {
  /**
   * Adds a definition.
   *
   * @throws TaskerError `DEFINITION_DUPLICATE` when the version exists and `replace` is not set.
   */
  register(definition: TaskDefinition, options?: RegisterOptions): void;
  /**
   * Finds a definition.
   *
   * @throws TaskerError `DEFINITION_NOT_FOUND`, naming the versions that do exist.
   */
  resolve(ref: TaskRef): TaskDefinition;
  /** Like `resolve`, but undefined when nothing matches. */
  find(ref: TaskRef): TaskDefinition | undefined;
  /** Every definition, by namespace, name and ascending version. */
  list(): TaskDefinition[];
  namespaces(): string[];
  /**
   * Grows with every `register`, so that a worker recomputes what it claims only when the
   * definitions changed. A registry without it is re-read on every claim.
   */
  readonly revision?: number;
}

/** Makes an empty registry (there is no global one). */
export function createTaskRegistry(definitions: readonly TaskDefinition[] = []): TaskRegistry {
  const registry = new Registry();
  for (const d of definitions) registry.register(d);
  return registry;
}

class Registry implements TaskRegistry {
  readonly #tree = new Map<string, Map<string, Map<string, TaskDefinition>>>();
  #revision = 0;

  get revision(): number {
    return this.#revision;
  }

  register(definition: TaskDefinition, options: RegisterOptions = {}): void {
    let names = this.#tree.get(definition.namespace);
    if (names === undefined) {
      names = new Map();
      this.#tree.set(definition.namespace, names);
    }
    let versions = names.get(definition.name);
    if (versions === undefined) {
      versions = new Map();
      names.set(definition.name, versions);
    }
    if (versions.has(definition.version) && options.replace !== true) {
      throw new TaskerError(
        'DEFINITION_DUPLICATE',
        `Task ${definition.key} is already registered; pass { replace: true } to replace it`,
      );
    }
    versions.set(definition.version, definition);
    this.#revision++;
  }

  find(ref: TaskRef): TaskDefinition | undefined {
    const versions = this.#tree.get(ref.namespace ?? 'default')?.get(ref.name);
    if (versions === undefined) return undefined;
    const wanted = ref.version ?? '0.1.0';
    const exact = versions.get(wanted);
    if (exact !== undefined) return exact;
    const all = [...versions.keys()];
    const version =
      wanted === 'latest'
        ? semver.maxSatisfying(all, '*', { includePrerelease: true })
        : semver.validRange(wanted) === null
          ? null
          : semver.maxSatisfying(all, wanted);
    return version === null ? undefined : versions.get(version);
  }

  resolve(ref: TaskRef): TaskDefinition {
    const found = this.find(ref);
    if (found !== undefined) return found;
    const namespace = ref.namespace ?? 'default';
    const versions = [...(this.#tree.get(namespace)?.get(ref.name)?.keys() ?? [])].sort(semver.compare);
    throw new TaskerError(
      'DEFINITION_NOT_FOUND',
      `No task ${namespace}.${ref.name} matches version "${ref.version ?? '0.1.0'}" (registered: ${versions.length === 0 ? 'none' : versions.join(', ')})`,
    );
  }

  list(): TaskDefinition[] {
    const out: TaskDefinition[] = [];
    for (const ns of [...this.#tree.keys()].sort()) {
      const names = this.#tree.get(ns)!;
      for (const name of [...names.keys()].sort()) {
        const versions = names.get(name)!;
        for (const v of [...versions.keys()].sort(semver.compare)) out.push(versions.get(v)!);
      }
    }
    return out;
  }

  namespaces(): string[] {
    return [...this.#tree.keys()].sort();
  }
}
