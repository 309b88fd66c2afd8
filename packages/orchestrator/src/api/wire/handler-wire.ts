/** Task definitions and dependency graphs → the API's snake_case JSON. */
import type { z } from 'zod';
import type { StepTemplate, TaskDefinition } from '../../definitions/define-task';
import type { DependencyGraph } from '../graph/dependency-graph';
import type { RuntimeAnalysis } from '../graph/runtime-analysis';
import type { dependencyAnalysisSchema, dependencyGraphSchema } from '../schemas/dependency-analysis';
import type { handlerDetailsSchema, handlerSummarySchema, stepTemplateSchema } from '../schemas/handlers';
import { iso, isoOrNull } from './time';

export type HandlerSummaryWire = z.infer<typeof handlerSummarySchema>;
export type HandlerDetailsWire = z.infer<typeof handlerDetailsSchema>;

/** A handler's name: its name in the handler map, or the function's own name. */
export function handlerName(handler: StepTemplate['handler']): string {
  return typeof handler === 'string' ? handler : handler.name || 'anonymous';
}

export function stepTemplateToWire(s: StepTemplate): z.infer<typeof stepTemplateSchema> {
  return {
    name: s.name,
    description: s.description ?? null,
    handler: handlerName(s.handler),
    depends_on: [...s.dependsOn],
    retryable: s.retryable,
    retry_limit: s.retryLimit,
    timeout_ms: s.timeoutMs ?? null,
    skippable: s.skippable,
    handler_config: { ...s.handlerConfig },
    custom_events: s.customEvents.map((e) => ({ name: e.name, description: e.description })),
    queue: s.queue,
    priority: s.flow.priority ?? null,
    concurrency:
      s.flow.concurrency === undefined
        ? null
        : { key: s.flow.concurrency.key, limit: s.flow.concurrency.limit },
    rate_limit:
      s.flow.rateLimit === undefined
        ? null
        : {
            key: s.flow.rateLimit.key,
            limit: s.flow.rateLimit.limit,
            period_ms: s.flow.rateLimit.periodMs,
            burst: s.flow.rateLimit.burst,
          },
  };
}

export function graphToWire(g: DependencyGraph): z.infer<typeof dependencyGraphSchema> {
  return {
    nodes: g.nodes.map((n) => ({ name: n.name, depends_on: n.dependsOn, level: n.level })),
    edges: g.edges,
    execution_order: g.executionOrder,
  };
}

/** One task name of a namespace with its versions (ascending) and the latest. */
export function handlerSummaryToWire(versions: readonly TaskDefinition[]): HandlerSummaryWire {
  const latest = versions[versions.length - 1] as TaskDefinition;
  return {
    namespace: latest.namespace,
    name: latest.name,
    versions: versions.map((v) => v.version),
    latest_version: latest.version,
    description: latest.description ?? null,
    step_count: latest.steps.length,
  };
}

export function handlerDetailsToWire(
  definition: TaskDefinition,
  versions: readonly string[],
  graph: DependencyGraph,
): HandlerDetailsWire {
  return {
    namespace: definition.namespace,
    name: definition.name,
    version: definition.version,
    versions: [...versions],
    description: definition.description ?? null,
    priority: definition.priority ?? 0,
    step_templates: definition.steps.map(stepTemplateToWire),
    dependency_graph: graphToWire(graph),
  };
}

export function analysisToWire(a: RuntimeAnalysis): z.infer<typeof dependencyAnalysisSchema> {
  return {
    nodes: a.nodes.map((n) => ({
      workflow_step_id: n.id,
      name: n.name,
      status: n.state,
      level: n.level,
      attempts: n.attempts,
      duration_ms: n.durationMs,
    })),
    edges: a.edges,
    execution_order: a.executionOrder,
    levels: a.levels,
    critical_path: {
      steps: a.criticalPath.steps,
      spans: a.criticalPath.spans.map((s) => ({
        step: s.step,
        first_claimed_at: isoOrNull(s.firstClaimedAt),
        settled_at: iso(s.settledAt),
        duration_ms: s.durationMs,
        attempts: s.attempts,
      })),
      duration_ms: a.criticalPath.durationMs,
      complete: a.criticalPath.complete,
    },
    ready_steps: a.readySteps,
    blocked_steps: a.blockedSteps.map((b) => ({
      name: b.name,
      status: b.state,
      blocked_by: b.blockedBy.map((x) => ({ name: x.name, status: x.state })),
    })),
    error_chains: a.errorChains.map((c) => ({
      step: c.step,
      error:
        c.error === null
          ? null
          : {
              name: c.error.name,
              message: c.error.message,
              ...(c.error.code === undefined ? {} : { code: c.error.code }),
            },
      attempts: c.attempts,
      blocked_descendants: c.blockedDescendants,
    })),
  };
}
