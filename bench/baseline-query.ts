/**
 * The baseline's one query: the flow's newest 50 rows with every column the list reads, by walking the index on
 * (flow prefix, updated_at, key) that the store creates. `EXPLAIN QUERY PLAN` shows no temp B-tree.
 */
export const BASELINE_SQL = `SELECT flow_session_key, label, current_step, created_at, updated_at, state_json
  FROM workflow_state
  WHERE substr(flow_session_key, 1, instr(flow_session_key, ':')) = ?
  ORDER BY updated_at DESC, flow_session_key DESC
  LIMIT 50`;

/**
 * The same query on PostgreSQL, with the flow prefix expression its list index leads with (the store's
 * `substring(flow_session_key from '^[^:]*:')`), so `EXPLAIN` shows an index scan and no sort.
 */
export const BASELINE_PG_SQL = `SELECT flow_session_key, label, current_step, created_at, updated_at, state_json
  FROM workflow_state
  WHERE (substring(flow_session_key from '^[^:]*:')) = $1
  ORDER BY updated_at DESC, flow_session_key DESC
  LIMIT 50`;
