/** Every registered task definition, every version, read from the handlers routes of the API. */
import { getJson } from './api-client';

export interface StepTemplate {
  readonly name: string;
  readonly handler: string;
  readonly depends_on: readonly string[];
  readonly retryable: boolean;
  readonly retry_limit: number;
  readonly timeout_ms: number | null;
  readonly skippable: boolean;
}

export interface Definition {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly versions: readonly string[];
  readonly description: string | null;
  readonly step_templates: readonly StepTemplate[];
  readonly dependency_graph: { readonly edges: readonly { readonly from: string; readonly to: string }[] };
}

interface NamespaceList {
  readonly namespaces: readonly { readonly name: string }[];
}
interface HandlerList {
  readonly handlers: readonly { readonly name: string; readonly versions: readonly string[] }[];
}

const seg = encodeURIComponent;

/** Every definition, by namespace, name, then version (as the API orders them). */
export async function loadDefinitions(): Promise<Definition[]> {
  const { namespaces } = await getJson<NamespaceList>('/handlers');
  const perNamespace = await Promise.all(
    namespaces.map(async ({ name: namespace }) => {
      const { handlers } = await getJson<HandlerList>(`/handlers/${seg(namespace)}`);
      const versions = handlers.flatMap((h) => h.versions.map((version) => ({ name: h.name, version })));
      return Promise.all(
        versions.map(({ name, version }) =>
          getJson<Definition>(`/handlers/${seg(namespace)}/${seg(name)}?version=${seg(version)}`),
        ),
      );
    }),
  );
  return perNamespace.flat();
}
