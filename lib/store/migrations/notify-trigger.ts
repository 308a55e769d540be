import { sql, type Kysely } from "kysely";
import { CHANGE_CHANNEL } from "../change-watch.js";
import { WORKFLOW_STATE_TABLE } from "../workflow-state-table.js";

/** The statement-level triggers that tell listeners (the live updates, `LISTEN`) of every change to the table. */
export const PG_NOTIFY_TRIGGERS = ["workflow_state_notify_insert", "workflow_state_notify_update", "workflow_state_notify_delete"];

/**
 * The setting each connection of a store's own pool holds (`set_config`), naming the store: the trigger puts it in
 * the payload, and the store's listener leaves out what its own connections wrote (its services have said so already,
 * with the ids). Empty for any other writer.
 */
export const ORIGIN_SETTING = "express_workflow_sessions.origin";

/** The longest payload sent as is (PostgreSQL's limit is 8,000 bytes); a longer one is sent as `{}`, "something changed". */
const MAX_PAYLOAD_BYTES = 7_900;

/**
 * Creates (or replaces) the triggers that `pg_notify` {@link CHANGE_CHANNEL} once per statement and per flow and
 * owner of the rows it changed, with `{"s": schema, "f": "<flow>:", "o": owner, "w": origin}`: a bulk delete of 100,000 sessions sends one
 * notification per owner, not one per row. Whoever writes (this package on any instance, the host's own SQL) is
 * heard. `w` is the writing connection's {@link ORIGIN_SETTING}, so a store skips its own writes. The schema tells apart the tables of several schemas in one database, which share the channel. Idempotent; run inside the migration's transaction, which holds the table's lock.
 */
export async function createNotifyTriggers(trx: Kysely<any>, schema: string): Promise<void> {
  const table = sql.id(schema, WORKFLOW_STATE_TABLE);
  const notify = sql.id(schema, "workflow_state_notify");
  await sql`CREATE OR REPLACE FUNCTION ${notify}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE payload text;
    BEGIN
      FOR payload IN
        SELECT json_build_object('s', ${sql.lit(schema)}, 'f', prefix, 'o', owner, 'w', current_setting(${sql.lit(ORIGIN_SETTING)}, true))::text FROM (
          SELECT substring(flow_session_key from '^[^:]*:') AS prefix, owner FROM changed_rows
        ) AS changed WHERE prefix IS NOT NULL GROUP BY prefix, owner
      LOOP
        PERFORM pg_notify(${sql.lit(CHANGE_CHANNEL)}, CASE WHEN octet_length(payload) <= ${sql.lit(MAX_PAYLOAD_BYTES)} THEN payload ELSE '{}' END);
      END LOOP;
      RETURN NULL;
    END $$`.execute(trx);
  for (const name of PG_NOTIFY_TRIGGERS) await sql`DROP TRIGGER IF EXISTS ${sql.id(name)} ON ${table}`.execute(trx);
  const [insert, update, remove] = PG_NOTIFY_TRIGGERS.map((name) => sql.id(name));
  await sql`CREATE TRIGGER ${insert} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${notify}()`.execute(trx);
  await sql`CREATE TRIGGER ${update} AFTER UPDATE ON ${table} REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${notify}()`.execute(trx);
  await sql`CREATE TRIGGER ${remove} AFTER DELETE ON ${table} REFERENCING OLD TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION ${notify}()`.execute(trx);
}
