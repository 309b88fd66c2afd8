/**
 * Lays a definition's DAG out with dagre (top to bottom, parents above children): node boxes
 * and edge polylines in SVG user units. The drawing is in `dag-view.tsx`.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import type { StepTemplate } from './handlers-data';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 64;

export interface PlacedNode {
  readonly step: StepTemplate;
  /** Top-left corner. */
  readonly x: number;
  readonly y: number;
}

export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface DagLayout {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
}

export function layOutDag(
  steps: readonly StepTemplate[],
  edges: readonly { readonly from: string; readonly to: string }[],
): DagLayout {
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 32, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const step of steps) g.setNode(step.name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of edges) g.setEdge(e.from, e.to);
  layout(g);
  const graph = g.graph();
  return {
    width: Math.ceil(graph.width ?? NODE_WIDTH),
    height: Math.ceil(graph.height ?? NODE_HEIGHT),
    nodes: steps.map((step) => {
      const n = g.node(step.name);
      return { step, x: n.x - NODE_WIDTH / 2, y: n.y - NODE_HEIGHT / 2 };
    }),
    edges: edges.map((e) => ({ from: e.from, to: e.to, points: g.edge(e.from, e.to).points ?? [] })),
  };
}
