/**
 * A snapshot of everything a migration could change in a database, outside PostgreSQL's own
 * schemas: the schemas, relations and their options (storage parameters such as autovacuum
 * settings, persistence, grants), columns (with their defaults, statistics targets and
 * storage), indexes, constraints, triggers, functions, views, sequences and extensions, the
 * migrations table, and every table's row count and contents (a digest of its rows, sorted).
 * Statistics (`reltuples`, `pg_stats`) are left out: ANALYZE may change them and changes no
 * schema.
 */

/** Runs one statement: a store driver, a `pg` Client or a PGlite instance fits. */
export type SnapshotQuery = (
  text: string,
  params?: unknown[],
) => Promise<{ rows: Record<string, unknown>[] }>;

/** Schemas that are not PostgreSQL's own. */
const USER_SCHEMAS = `n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'`;

const CATALOG: Readonly<Record<string, string>> = {
  schemas: `select n.nspname, n.nspacl::text as acl from pg_namespace n where ${USER_SCHEMAS}`,
  relations: `select n.nspname, c.relname, c.relkind, c.relpersistence, c.reloptions::text as options,
      c.relacl::text as acl, c.relrowsecurity, c.relreplident, am.amname
    from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_am am on am.oid = c.relam
    where ${USER_SCHEMAS}`,
  columns: `select n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) as type,
      a.attnotnull, pg_get_expr(d.adbin, d.adrelid) as default, a.attidentity, a.attgenerated,
      a.attstattarget, a.attstorage, a.attoptions::text as options, a.attcollation
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where ${USER_SCHEMAS} and a.attnum > 0 and not a.attisdropped`,
  indexes: `select n.nspname, c.relname, pg_get_indexdef(i.indexrelid) as def, i.indisvalid, i.indisclustered
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where ${USER_SCHEMAS}`,
  constraints: `select n.nspname, k.conrelid::regclass::text as relation, k.conname, k.contype,
      pg_get_constraintdef(k.oid) as def, k.condeferrable, k.condeferred, k.convalidated
    from pg_constraint k join pg_namespace n on n.oid = k.connamespace where ${USER_SCHEMAS}`,
  triggers: `select t.tgrelid::regclass::text as relation, t.tgname, pg_get_triggerdef(t.oid) as def, t.tgenabled
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where ${USER_SCHEMAS} and not t.tgisinternal`,
  functions: `select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) as args, p.prokind,
      md5(coalesce(p.prosrc, '')) as source
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${USER_SCHEMAS}`,
  views: `select schemaname, viewname, definition from pg_views
    where schemaname <> 'information_schema' and schemaname not like 'pg\\_%'`,
  sequences: `select schemaname, sequencename, data_type::text, start_value, increment_by, max_value,
      cycle, last_value
    from pg_sequences where schemaname <> 'information_schema' and schemaname not like 'pg\\_%'`,
  extensions: `select extname, extversion from pg_extension`,
  migrations: `select id, name, applied_at::text from tasker.migrations`,
};

/** The snapshot: one sorted list of rows (as JSON) per kind, and one row per table. */
export type DatabaseSnapshot = Readonly<Record<string, readonly string[]>>;

/** JSON of a row; PGlite returns `bigint` columns as bigints. */
const json = (row: unknown): string =>
  JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

/** Takes a {@link DatabaseSnapshot} through `query`. */
export async function snapshotDatabase(query: SnapshotQuery): Promise<DatabaseSnapshot> {
  const snapshot: Record<string, string[]> = {};
  for (const [kind, text] of Object.entries(CATALOG)) {
    const r = await query(text);
    snapshot[kind] = r.rows.map(json).sort();
  }
  // Each table's rows, digested in a stable order; the identifiers are quoted by format().
  const tables = await query(
    `select n.nspname || '.' || c.relname as name,
       format('select count(*)::int as rows, md5(coalesce(string_agg(x::text, %L order by x::text), %L)) as digest
         from %I.%I x', E'\\n', '', n.nspname, c.relname) as text
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where ${USER_SCHEMAS} and c.relkind in ('r', 'p')`,
  );
  const data: string[] = [];
  for (const t of tables.rows) {
    const r = await query(String(t.text));
    data.push(json({ table: t.name, ...r.rows[0] }));
  }
  snapshot.data = data.sort();
  return snapshot;
}
