"""Another process writing a workflow-state file the way the Python app (cjm-workflow-state) does: Python's sqlite3
with its defaults (rollback journal, an implicit deferred transaction per write). Driven by the test over stdin and
stdout, so that it never depends on timing.

  python3 python-writer.py loop FILE   writes one session per transaction, as fast as it can; prints "writing" once
                                        the first write committed, and on a line "stop" on stdin finishes the
                                        transaction it is in and prints "wrote <n>" (keys loop:0 .. loop:n-1)
  python3 python-writer.py hold FILE   takes an exclusive lock (no other connection may read or write), prints
                                        "locked", and on a line "release" on stdin rolls back and prints "released"
"""
import sqlite3
import sys
import threading
import time

mode, filename = sys.argv[1], sys.argv[2]
# A long timeout: this writer waits for the store's own startup locks, however loaded the machine is.
conn = sqlite3.connect(filename, timeout=120)


# Enough rows per transaction that the file is locked about half of the time.
ROWS_PER_TRANSACTION = 50


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if mode == "loop":
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    written = 0
    while not stop.is_set():
        with conn:
            for _ in range(ROWS_PER_TRANSACTION):
                conn.execute(
                    "INSERT OR REPLACE INTO workflow_state (flow_session_key, current_step, state_json, updated_at)"
                    " VALUES (?, 'selection', ?, CURRENT_TIMESTAMP)",
                    (f"loop:{written}", '{"written_by": "python"}'),
                )
                written += 1
        if written == ROWS_PER_TRANSACTION:
            say("writing")
        # The file is free for a moment between two writes, as it is between an app's requests. A writer that never
        # lets go of it starves every other connection, SQLite's own busy handler included.
        time.sleep(0.001)
    say(f"wrote {written}")
elif mode == "hold":
    conn.isolation_level = None
    conn.execute("BEGIN EXCLUSIVE")
    say("locked")
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    say("released")
else:
    sys.exit(f"unknown mode {mode}")
conn.close()
