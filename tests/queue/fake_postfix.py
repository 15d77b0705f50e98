"""A stand-in for postqueue/postsuper/postcat, used as QUEUE_COMMAND_PREFIX
in unit tests (the real programs are tested in tests/e2e/test_queue_page.py).

    python fake_postfix.py STATE_DIR /usr/sbin/postsuper -d -

STATE_DIR/queue.jsonl is the queue (one ``postqueue -j`` line each);
every call is appended to STATE_DIR/calls.jsonl (argv and stdin);
STATE_DIR/mode may say "fail" (exit 1 with a message) or "sleep".
"""

import json
import os
import sys
import time

state, program, args = sys.argv[1], os.path.basename(sys.argv[2]), sys.argv[3:]
queue_file = os.path.join(state, "queue.jsonl")
mode_file = os.path.join(state, "mode")
mode = open(mode_file).read().strip() if os.path.exists(mode_file) else ""
stdin = sys.stdin.read() if program == "postsuper" else ""
with open(os.path.join(state, "calls.jsonl"), "a") as calls:
    calls.write(json.dumps({"argv": [sys.argv[2], *args], "stdin": stdin}) + "\n")

if mode == "sleep":
    time.sleep(30)
if mode == "fail":
    sys.stderr.write("sudo: a password is required\n")
    sys.exit(1)


def load():
    with open(queue_file) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def save(messages):
    with open(queue_file, "w") as fh:
        fh.writelines(json.dumps(m) + "\n" for m in messages)


if program == "postqueue" and args == ["-j"]:
    with open(queue_file, "rb") as fh:
        for line in fh:
            sys.stdout.buffer.write(line)
elif program == "postqueue" and args[:1] in (["-f"], ["-i"]):
    pass
elif program == "postcat" and args[:1] == ["-q"]:
    found = [m for m in load() if m["queue_id"] == args[1]]
    if not found:
        sys.stderr.write(f"postcat: fatal: open queue file {args[1]}: No such file or directory\n")
        sys.exit(1)
    body = found[0].get("content", "Subject: test\n\nbody\n")
    sys.stdout.write(f"*** ENVELOPE RECORDS deferred/{args[1]} ***\n{body}")
elif program == "postsuper" and len(args) == 2 and args[1] == "-":
    ids = set(stdin.split())
    messages, count = load(), 0
    verb = {"-d": "Deleted", "-h": "Placed on hold", "-H": "Released from hold", "-r": "Requeued"}[args[0]]
    kept = []
    for m in messages:
        if m["queue_id"] in ids:
            count += 1
            if args[0] == "-d":
                continue
            m["queue_name"] = {"-h": "hold", "-H": "deferred", "-r": "maildrop"}[args[0]]
        kept.append(m)
    save(kept)
    if count:
        sys.stderr.write(f"postsuper: {verb}: {count} message{'s' if count != 1 else ''}\n")
else:
    sys.stderr.write(f"fake: unexpected {program} {args}\n")
    sys.exit(2)
