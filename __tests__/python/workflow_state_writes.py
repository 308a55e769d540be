"""Writes to a workflow_state file the way cjm-workflow-state's SQLiteWorkflowStateStore does, statement for statement
(its cjm_workflow_state/state_store.py, github.com/cj-mills/cjm-workflow-state).

The store opens a connection per call and writes with upserts (INSERT ... ON CONFLICT(flow_session_key) DO UPDATE)
and plain UPDATEs that name only the columns they change; it never uses INSERT OR REPLACE. Each write here is one
of its methods. After each, prints one JSON line: the method, and the row's owner, label, step and state.

Usage: python3 workflow_state_writes.py FILE FLOW_ID SESSION_ID
"""
import json
import sqlite3
import sys

path, flow_id, session_id = sys.argv[1:4]
key = f"{flow_id}:{session_id}"


def execute(sql, params):
    conn = sqlite3.connect(path)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def get_state():
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT state_json FROM workflow_state WHERE flow_session_key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return json.loads(row[0]) if row and row[0] else {}


def set_current_step(step_id):
    execute(
        "INSERT INTO workflow_state (flow_session_key, current_step) VALUES (?, ?) "
        "ON CONFLICT(flow_session_key) DO UPDATE SET current_step = excluded.current_step, updated_at = CURRENT_TIMESTAMP",
        (key, step_id),
    )


def update_state(updates):
    state = get_state()
    state.update(updates)
    execute(
        "INSERT INTO workflow_state (flow_session_key, state_json) VALUES (?, ?) "
        "ON CONFLICT(flow_session_key) DO UPDATE SET state_json = excluded.state_json, updated_at = CURRENT_TIMESTAMP",
        (key, json.dumps(state)),
    )


def update_step_state(step_id, updates):
    step_state = get_state().get(f"_step_{step_id}", {})
    step_state.update(updates)
    update_state({f"_step_{step_id}": step_state})


def clear_step_state(step_id):
    state = get_state()
    if f"_step_{step_id}" in state:
        del state[f"_step_{step_id}"]
        execute("UPDATE workflow_state SET state_json = ?, updated_at = CURRENT_TIMESTAMP WHERE flow_session_key = ?", (json.dumps(state), key))


def set_session_label(label):
    execute("UPDATE workflow_state SET label = ?, updated_at = CURRENT_TIMESTAMP WHERE flow_session_key = ?", (label, key))


def report(method):
    conn = sqlite3.connect(path)
    try:
        owner, label, step, state = conn.execute(
            "SELECT owner, label, current_step, state_json FROM workflow_state WHERE flow_session_key = ?", (key,)
        ).fetchone()
    finally:
        conn.close()
    print(json.dumps({"method": method, "owner": owner, "label": label, "step": step, "state": json.loads(state)}))


set_current_step("review")
report("set_current_step")
update_state({"from_python": True})
report("update_state")
update_step_state("review", {"visited": True})
update_step_state("verify", {"checked": 1})
report("update_step_state")
clear_step_state("verify")
report("clear_step_state")
set_session_label("Renamed in Python")
report("set_session_label")
