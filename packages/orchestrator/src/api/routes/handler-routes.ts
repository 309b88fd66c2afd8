/** Handler discovery: namespaces, the task definitions of one, and one in full with its DAG. */
import { createRoute } from '@hono/zod-openapi';
import semver from 'semver';
import type { TaskDefinition } from '../../definitions/define-task';
import { ApiError } from '../api-error';
import { dependencyGraph } from '../graph/dependency-graph';
import type { RouteDeps } from '../registrar';
import { guardedProblems } from '../schemas/common';
import {
  handlerDetailsSchema,
  handlerParams,
  handlerQuerySchema,
  namespaceHandlersSchema,
  namespaceListSchema,
  namespaceParams,
} from '../schemas/handlers';
import { handlerDetailsToWire, handlerSummaryToWire } from '../wire/handler-wire';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** Definitions grouped by name, versions ascending. */
function byName(definitions: readonly TaskDefinition[]): Map<string, TaskDefinition[]> {
  const out = new Map<string, TaskDefinition[]>();
  for (const d of definitions) {
    const list = out.get(d.name) ?? [];
    list.push(d);
    out.set(d.name, list);
  }
  for (const list of out.values()) list.sort((a, b) => semver.compare(a.version, b.version));
  return out;
}

export function registerHandlerRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;
  const inNamespace = (namespace: string) => tasker.registry.list().filter((d) => d.namespace === namespace);

  app.openapi(
    deps.route(
      'tasker.handler:index',
      createRoute({
        method: 'get',
        path: '/handlers',
        tags: ['handlers'],
        summary: 'Namespaces with their handler counts',
        responses: { 200: json(namespaceListSchema, 'Namespaces'), ...guardedProblems() },
      }),
    ),
    (c) => {
      const namespaces = tasker.registry.namespaces().map((name) => {
        const definitions = inNamespace(name);
        return {
          name,
          handler_count: new Set(definitions.map((d) => d.name)).size,
          version_count: definitions.length,
        };
      });
      return c.json({ namespaces }, 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.handler:index',
      createRoute({
        method: 'get',
        path: '/handlers/{namespace}',
        tags: ['handlers'],
        summary: 'The task handlers of a namespace, with their versions',
        request: { params: namespaceParams },
        responses: { 200: json(namespaceHandlersSchema, 'Handlers'), ...guardedProblems(400, 404) },
      }),
    ),
    (c) => {
      const { namespace } = c.req.valid('param');
      const definitions = inNamespace(namespace);
      if (definitions.length === 0) throw new ApiError('NOT_FOUND', `No namespace "${namespace}"`);
      const handlers = [...byName(definitions).values()].map(handlerSummaryToWire);
      return c.json({ namespace, handlers }, 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.handler:show',
      createRoute({
        method: 'get',
        path: '/handlers/{namespace}/{name}',
        tags: ['handlers'],
        summary: 'A task handler: its step templates and dependency graph',
        request: { params: handlerParams, query: handlerQuerySchema },
        responses: { 200: json(handlerDetailsSchema, 'Handler'), ...guardedProblems(400, 404) },
      }),
    ),
    (c) => {
      const { namespace, name } = c.req.valid('param');
      const { version } = c.req.valid('query');
      const versions = byName(inNamespace(namespace)).get(name);
      if (versions === undefined) throw new ApiError('NOT_FOUND', `No handler ${namespace}.${name}`);
      const definition = tasker.registry.find({ namespace, name, version: version ?? 'latest' });
      if (definition === undefined) {
        throw new ApiError(
          'NOT_FOUND',
          `No version of ${namespace}.${name} matches "${version}" (registered: ${versions.map((v) => v.version).join(', ')})`,
        );
      }
      return c.json(
        handlerDetailsToWire(
          definition,
          versions.map((v) => v.version),
          dependencyGraph(definition.steps),
        ),
        200,
      );
    },
  );
}
