/**
 * Migration 4: the claim walks its key's index, and its plan is made once.
 *
 * - `steps_ready_idx` (`ready_at, id`, every live step) goes. It was kept by migration 2 for
 *   0.1 workers during a rolling deploy, and it cost the new claim twice:
 *   - the walks of migration 2 (`tasker.claimable_ready`, `tasker.claimable_expired`) could be
 *     planned on it, ordered by `ready_at` across every key with the key as a filter: a claim
 *     then read past every ready step of other keys (a backlog that no live worker runs, the
 *     very case that capability routing keeps waiting) instead of its own key's range of
 *     `steps_claim_idx`. A claim's plan is made once per connection, so one bad estimate stays;
 *   - every claim and every release of a step wrote one more index entry: about a tenth of the
 *     chain throughput in the orchestrator benchmark.
 *
 *   A 0.1 worker still running during a rolling deploy claims with a statement that this index
 *   served; without it, that statement reads `tasker.steps` in full at each claim (correct, but
 *   slow on a large table). The README's upgrade notes say to keep that window short.
 * - The walks and `tasker.parent_results` state how many rows they return (`ROWS`). Without it
 *   the planner assumes 1,000 rows per call: the claim's generic plan then hashed whole tables,
 *   so PostgreSQL planned the statement again at every claim (about 0.6 ms each). With the
 *   estimate, the generic plan is the same as the custom one and is kept.
 */
export const migration0004 = {
  id: 4,
  name: 'claim-plans',
  sql: `
drop index if exists tasker.steps_ready_idx;

alter function tasker.claimable_ready(text, bigint, int) rows 16;
alter function tasker.claimable_expired(text, bigint, int) rows 1;
alter function tasker.parent_results(uuid[]) rows 32;
`,
} as const;
