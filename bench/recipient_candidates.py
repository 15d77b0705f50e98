"""Candidate recipient and mailbox map functions against the live ones, timed with postmap.

    .venv/bin/python bench/recipient_candidates.py --pg-url postgresql://postgres@127.0.0.1/mailpanel_bench [--runs 25]

The database is one `bench/lookups.py --seed` filled (1M mailboxes). This
creates the functions of bench/recipient_candidates.sql there, checks that
each gives the same answers as the live map for every key of every kind,
then times them as bench/lookups.py times the maps (same keys, same map
settings, interleaved runs, best run) against the same primary-key floor.
Issue 17 point 1: what a migration replacing mailserver_recipient and
mailserver_mailbox would gain, measured before writing it.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CANDIDATES = {
    "postfix-recipient": ("mailserver_recipient", ("exp_recipient_set", "exp_recipient_noset")),
    "postfix-mailboxes": ("mailserver_mailbox", ("exp_mailbox_set", "exp_mailbox_noset")),
}


def load_lookups():
    spec = importlib.util.spec_from_file_location("bench_lookups", HERE / "lookups.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answers(spec: str, keys: list[str]) -> list[str]:
    result = subprocess.run(
        ["postmap", "-c", str(Path(spec.split(":", 1)[1]).parent), "-q", "-", spec],
        input="\n".join(keys) + "\n",
        capture_output=True,
        text=True,
        timeout=900,
    )
    if "warning:" in result.stderr or "fatal:" in result.stderr:
        raise SystemExit(f"postmap {spec}: {result.stderr.strip()[:2000]}")
    return sorted(result.stdout.splitlines())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", required=True, help="a database bench/lookups.py --seed filled")
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args(argv)
    lk = load_lookups()
    stack = lk.load_mailstack()
    db = stack.parse_database(args.pg_url)
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", args.pg_url, "-f", str(HERE / "recipient_candidates.sql")],
        check=True,
    )
    lk.ensure_catchalls(args.pg_url)
    sample, disabled = lk.sample_keys(args.pg_url, args.keys)
    directory = Path(tempfile.mkdtemp(prefix="recipient-candidates-"))
    (directory / "main.cf").write_text("compatibility_level = 3.6\n")
    lk.set_active(args.pg_url, disabled, False)
    try:
        specs = lk.write_maps(stack, db, directory)
        for name, (live, variants) in CANDIDATES.items():
            text = Path(specs[name].split(":", 1)[1]).read_text()
            if live + "(" not in text:
                raise SystemExit(f"{name}: the live map does not call {live}()")
            for variant in variants:
                path = directory / f"{variant}.cf"
                path.write_text(text.replace(live + "(", variant + "("))
                specs[variant] = f"pgsql:{path}"
        timed = {lk.FLOOR: sample[lk.FLOOR]}
        for label, (name, keys) in sample.items():
            if name not in CANDIDATES:
                continue
            base = answers(specs[name], keys)
            for variant in (name, *CANDIDATES[name][1]):
                if answers(specs[variant], keys) != base:
                    raise SystemExit(f"{variant} answers differently from {name} for: {label}")
                timed[label.replace(name, variant) if name != label else variant] = (variant, keys)
        result = lk.time_postmaps(specs, timed, args.runs)
    finally:
        lk.set_active(args.pg_url, disabled, True)
        shutil.rmtree(directory, ignore_errors=True)
    floor = result[lk.FLOOR][0]
    print(f"| map: keys (best of {args.runs}) | µs/key | × floor |\n| --- | ---: | ---: |")
    for label, (micros, _found) in result.items():
        print(f"| {label} | {micros:.0f} | {micros / floor:.2f} |")


if __name__ == "__main__":
    main()
