import type { BackendStats } from './backend-delivery';
import type { EventMapping } from './event-mapping';
import type { TapStats } from './event-taps';
import type { MappingDecision, MappingLayer, MappingLayers } from './mapping-layers';

/** What `router.stats()` returns: the routing table's shape and what routing has done. */
export interface RouterStats {
  readonly totalMappings: number;
  readonly enabledMappings: number;
  /** Enabled mappings with priority `high` or `critical`. */
  readonly highPriorityMappings: number;
  /** Enabled mappings with a sampling rate below 1. */
  readonly sampledMappings: number;
  /** Enabled mappings per backend name. */
  readonly mappingsPerBackend: Readonly<Record<string, number>>;
  /**
   * Mappings per layer: `default` (the table the router was made with, and `mapDefault()`) and
   * `user` (`map()` and `configure()`). A default mapping that a user mapping of the same
   * `eventName` replaced is counted here, not in `totalMappings`.
   */
  readonly mappingsPerLayer: Readonly<Record<MappingLayer, number>>;
  /**
   * For every known event name (catalog and registered custom events) that a mapping applies
   * to: the layer and the mapping that decided it, e.g.
   * `'step.completed': { layer: 'user', mapping: 'step.*' }`. A known name missing here has no
   * mapping and is counted as unrouted when routed.
   */
  readonly decisions: Readonly<Record<string, MappingDecision>>;
  /** Events that passed sampling and went to their backends. */
  readonly routed: number;
  /**
   * Events with no mapping, unknown names, and deliveries to unregistered backends (each such
   * backend name is warned about once).
   */
  readonly unrouted: number;
  /** Events whose mapping is disabled. */
  readonly disabled: number;
  /** Events dropped by sampling. */
  readonly sampledOut: number;
  /** Backend throws and rejections, all backends. */
  readonly errors: number;
  /** Events shed under backpressure, all backends. */
  readonly dropped: number;
  readonly backends: Readonly<Record<string, BackendStats>>;
  /**
   * Each tap (`router.tap()`) under its backend's name. A tap's deliveries, errors and sheds are
   * counted here only, never in `routed`, `errors`, `dropped` or `backends`.
   */
  readonly taps: Readonly<Record<string, TapStats>>;
}

/** The part of {@link RouterStats} that describes the mappings, not what routing did. */
export type MappingStats = Pick<
  RouterStats,
  | 'totalMappings'
  | 'enabledMappings'
  | 'highPriorityMappings'
  | 'sampledMappings'
  | 'mappingsPerBackend'
  | 'mappingsPerLayer'
  | 'decisions'
>;

/** Counts the mappings in effect, and says which layer and mapping decides each of `knownNames`. */
export function mappingStats(layers: MappingLayers, knownNames: Iterable<string>): MappingStats {
  const all: EventMapping[] = layers.all();
  const enabled = all.filter((m) => m.enabled);
  const mappingsPerBackend: Record<string, number> = {};
  for (const m of enabled) {
    for (const b of m.backends) mappingsPerBackend[b] = (mappingsPerBackend[b] ?? 0) + 1;
  }
  const decisions: Record<string, MappingDecision> = {};
  for (const name of knownNames) {
    const resolved = layers.resolve(name);
    if (resolved !== undefined)
      decisions[name] = { layer: resolved.layer, mapping: resolved.mapping.eventName };
  }
  const mappingsPerLayer: Record<MappingLayer, number> = layers.sizes();
  return {
    totalMappings: all.length,
    enabledMappings: enabled.length,
    highPriorityMappings: enabled.filter((m) => m.priority !== 'normal').length,
    sampledMappings: enabled.filter((m) => m.samplingRate < 1).length,
    mappingsPerBackend,
    mappingsPerLayer,
    decisions,
  };
}
