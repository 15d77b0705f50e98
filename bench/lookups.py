"""Mail-server lookups at 1M: Postfix's maps and Dovecot's auth, as the servers run them.

    .venv/bin/python bench/lookups.py --pg-url postgresql://postgres@127.0.0.1/mailpanel_bench \\
        [--sqlite-path /var/tmp/mailpanel_bench.sqlite] [--seed] [--keys 2000] [--logins 200]

With --seed each database must be EMPTY; bench/seed.py fills it with 10k
domains, 1M mailboxes and 1M aliases (and quota_usage gets one row per
mailbox, as quota_clone would leave it). Then, per database:

- every Postfix map file deploy/mailstack would write (the query text of
  panel/mailserver/queries/, the same pgsql:/sqlite: settings) is timed with
  ``postmap -q - <map>`` over --keys random existing keys, against the
  floor: a one-table primary-key lookup (quota_usage by username) through
  the very same map settings: best of 5 interleaved runs, µs per key.
  The recipient map (virtual_alias_maps) is timed per kind of recipient
  (mailbox, alias, catch-all miss, alias domain, unknown, a disabled
  mailbox in a catch-all domain), and the chain per recipient is summed
  from its probes. The first run adds a catch-all to 1,000 domains; the
  disabled mailboxes are disabled while the maps are timed, then enabled.
- ``doveadm auth test`` and ``doveadm user`` against a private Dovecot
  instance (own base_dir, no listeners) reading the same database with the
  SQL config mailstack writes: median milliseconds per call (each call is a
  doveadm process; auth test includes verifying the SHA512-CRYPT hash).

Nothing here touches the running mail stack or /etc. Prints a Markdown
table for docs/performance.md ("Mail-server lookups").
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from panel.db import make_engine, normalize_url  # noqa: E402
from panel.mailserver import queries as mq  # noqa: E402

BENCH_PASSWORD = "benchmark-password"  # what bench/seed.py hashes for every mailbox
FLOOR = "floor (quota_usage primary key)"
FLOOR_QUERY = "SELECT username FROM quota_usage WHERE username = '%s'"
RUNS = 5  # --runs: on a noisy VM more runs give a steadier best


def load_mailstack():
    """deploy/mailstack (no .py suffix) as a module: its map and Dovecot
    config writers are what this benchmark measures."""
    loader = importlib.machinery.SourceFileLoader("mailstack_script", str(ROOT / "deploy" / "mailstack"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# ------------------------------------------------------------------ data


def seed_database(url: str, mailboxes: int) -> None:
    from bench.seed import load_quota_usage, seed

    seed(url, domains=max(1, mailboxes // 100), mailboxes=mailboxes, aliases=mailboxes, big_domain=mailboxes // 5)
    engine = make_engine(normalize_url(url))
    with engine.begin() as conn:
        load_quota_usage(conn, "SELECT address, 0, 0 FROM mailboxes")
    # The state a live server's autovacuum keeps: right after the seed the
    # domain rows' dead versions (the counters' updates) made every map
    # 1.5-2.7x the floor (docs/performance.md). VACUUM runs outside a transaction.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)" if engine.dialect.name == "postgresql" else "ANALYZE")
    engine.dispose()


def _sample(conn, sql: str, count: int, rng: random.Random) -> list[str]:
    rows = [r[0] for r in conn.execute(text(sql))]  # text(): '%' is escaped for the driver
    if not rows:
        raise SystemExit(f"no keys for: {sql} (seed the database with --seed)")
    return [rng.choice(rows) for _ in range(count)]


CATCHALL_DOMAINS = 1000  # d2 .. d1001 get a catch-all (seed.py makes none)


def ensure_catchalls(url: str) -> None:
    """A catch-all in CATCHALL_DOMAINS domains (their first mailbox), once."""
    engine = make_engine(normalize_url(url))
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM aliases WHERE address LIKE '@%'")).scalar():
            return
        first = "(SELECT min(m.id) FROM mailboxes m WHERE m.domain_id = d.id)"
        conn.exec_driver_sql(
            "INSERT INTO aliases (id, domain_id, address, active, goto, created_at, updated_at) "
            f"SELECT 100000000 + d.id, d.id, '@' || d.name, TRUE, 'u' || {first} || '@' || d.name, "
            f"CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM domains d WHERE d.id BETWEEN 2 AND {CATCHALL_DOMAINS + 1}"
        )
        conn.exec_driver_sql(
            "INSERT INTO alias_destinations (id, alias_id, destination) "
            "SELECT a.id, a.id, a.goto FROM aliases a WHERE a.id > 100000000"
        )
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


# Labels of what is timed: label -> (map file, what its keys are).
MAP_NAMES = ["postfix-domains", "postfix-alias-domains", "postfix-mailboxes", "postfix-aliases", "postfix-catchall"]
RECIPIENT = "postfix-recipient"
KINDS = {
    "mailbox": "an active mailbox: its self-map",
    "alias": "an alias: its destinations",
    "catch-all miss": "no mailbox in a domain with a catch-all",
    "alias-domain mailbox": "x@alias-domain, whose answer x@target is then looked up (a mailbox)",
    "unknown": "no mailbox, no catch-all: refused at RCPT",
    "disabled mailbox, catch-all domain": "refused at RCPT, the catch-all spares it",
}
BEFORE_MISS = "postfix-aliases, miss for a mailbox (before 0018)"


def sample_keys(url: str, count: int) -> dict[str, tuple[str, list[str]]]:
    """Existing keys per label, chosen at random (fixed seed): label -> (map, keys)."""
    rng = random.Random(42)
    engine = make_engine(normalize_url(url))
    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        top = conn.exec_driver_sql("SELECT max(id) FROM mailboxes").scalar() or 1
    ids = ", ".join(str(rng.randint(1, top)) for _ in range(count))
    with engine.connect() as conn:
        mailboxes = _sample(conn, f"SELECT address FROM mailboxes WHERE id IN ({ids})", count, rng)
        aliases = _sample(conn, f"SELECT address FROM aliases WHERE id IN ({ids})", count, rng)
        catchall_domains = _sample(conn, "SELECT substr(address, 2) FROM aliases WHERE address LIKE '@%'", count, rng)
        plain_domains = _sample(
            conn,
            "SELECT name FROM domains WHERE NOT EXISTS (SELECT 1 FROM aliases WHERE address = '@' || name)",
            count,
            rng,
        )
        alias_domains = _sample(conn, "SELECT name FROM alias_domains", count, rng)
        via_alias_domain = _sample(
            conn,
            "SELECT m.local_part || '@' || ad.name FROM mailboxes m "
            "JOIN alias_domains ad ON ad.target_domain_id = m.domain_id "
            f"WHERE m.id IN ({ids})",
            count,
            rng,
        )
        # One mailbox per catch-all domain, to be disabled while measuring.
        disabled = _sample(
            conn,
            "SELECT min(m.address) FROM mailboxes m JOIN aliases a ON a.address = '@' || "
            + ("split_part(m.address, '@', 2)" if pg else "substr(m.address, instr(m.address, '@') + 1)")
            + " GROUP BY m.domain_id",
            count,
            rng,
        )
    engine.dispose()
    targets = [key.split("@")[0] + "@d" + key.split("@")[1][len("alias") :] for key in via_alias_domain]
    sample = {
        "postfix-domains": ("postfix-domains", plain_domains),
        "postfix-alias-domains": ("postfix-alias-domains", alias_domains),
        "postfix-mailboxes": ("postfix-mailboxes", mailboxes),
        "postfix-aliases": ("postfix-aliases", aliases),
        "postfix-catchall": ("postfix-catchall", [f"nobody{i}@{d}" for i, d in enumerate(catchall_domains)]),
        BEFORE_MISS: ("postfix-aliases", mailboxes),
        f"{RECIPIENT}: mailbox": (RECIPIENT, mailboxes),
        f"{RECIPIENT}: alias": (RECIPIENT, aliases),
        f"{RECIPIENT}: catch-all miss": (RECIPIENT, [f"nobody{i}@{d}" for i, d in enumerate(catchall_domains)]),
        f"{RECIPIENT}: alias-domain mailbox": (RECIPIENT, via_alias_domain),
        f"{RECIPIENT}: alias-domain mailbox, 2nd probe": (RECIPIENT, targets),
        f"{RECIPIENT}: unknown": (RECIPIENT, [f"nobody{i}@{d}" for i, d in enumerate(plain_domains)]),
        f"{RECIPIENT}: disabled mailbox, catch-all domain": (RECIPIENT, disabled),
        FLOOR: (FLOOR, mailboxes),
    }
    return sample, sorted(set(disabled))


def set_active(url: str, addresses: list[str], active: bool) -> None:
    engine = make_engine(normalize_url(url))
    with engine.begin() as conn:
        for start in range(0, len(addresses), 500):
            chunk = ", ".join("'" + a.replace("'", "''") + "'" for a in addresses[start : start + 500])
            conn.exec_driver_sql(
                f"UPDATE mailboxes SET active = {'TRUE' if active else 'FALSE'} WHERE address IN ({chunk})"
            )
    engine.dispose()


# --------------------------------------------------------------- Postfix


def write_maps(stack, db: dict, directory: Path) -> dict[str, str]:
    """Map files exactly as mailstack writes them, plus the floor with the
    same connection settings. Returns name -> 'type:path'."""
    kind = "pgsql" if db["kind"] == "postgresql" else "sqlite"
    specs = {}
    for names in mq.POSTFIX_MAPS.values():
        for name in names:
            path = directory / f"{name}.cf"
            path.write_text(stack.map_file_text(db, name))
            specs[name] = f"{kind}:{path}"
    floor = stack.map_file_text(db, "postfix-mailboxes").replace(
        "query = " + mq.load("postfix-mailboxes"), "query = " + FLOOR_QUERY
    )
    (directory / "floor.cf").write_text(floor)
    specs[FLOOR] = f"{kind}:{directory / 'floor.cf'}"
    return specs


def postmap_once(spec: str, keys: list[str]) -> tuple[float, int]:
    """(seconds, distinct keys found) for one `postmap -q -` over keys."""
    # postmap reads a main.cf before anything else: a minimal one beside the
    # map files, so the bench needs no configured Postfix in /etc.
    confdir = Path(spec.split(":", 1)[1]).parent
    if not (confdir / "main.cf").exists():
        (confdir / "main.cf").write_text("compatibility_level = 3.6\n")
    started = time.perf_counter()
    result = subprocess.run(
        ["postmap", "-c", str(confdir), "-q", "-", spec],
        input="\n".join(keys) + "\n",
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    # Exit status 1 means "not found" but also a fatal error, and a failed
    # query is only a warning: any of those makes every number a lie.
    failed = [line for line in result.stderr.splitlines() if "fatal:" in line or "warning:" in line]
    if result.returncode not in (0, 1) or failed:
        raise SystemExit(f"postmap {spec}: {result.stderr.strip()[:2000]}")
    return elapsed, len({line.split("\t", 1)[0] for line in result.stdout.splitlines()})


def time_postmaps(specs: dict[str, str], sample: dict, runs: int = RUNS) -> dict[str, tuple[float, int]]:
    """label -> (best µs per key, distinct keys found). Runs are interleaved
    (every label once, then again ...) so drift on a shared machine hits all
    alike; the best run is the least disturbed one."""
    best: dict[str, float] = {}
    found: dict[str, int] = {}
    for _ in range(runs):
        for label, (name, keys) in sample.items():
            seconds, found[label] = postmap_once(specs[name], keys)
            best[label] = min(best.get(label, seconds), seconds)
    return {label: (best[label] / len(keys) * 1e6, found[label]) for label, (_, keys) in sample.items()}


# --------------------------------------------------------------- Dovecot


def dovecot_instance(stack, db: dict, directory: Path) -> Path:
    """A private Dovecot (auth only) on the same database; returns its config."""
    sql_conf = directory / "sql.conf.ext"
    sql_conf.write_text(
        stack.fill(
            stack.template("dovecot/sql.conf.ext.in"),
            {
                "driver": "pgsql" if db["kind"] == "postgresql" else "sqlite",
                "connect": stack.dovecot_connect(db),
                "password_query": mq.load("dovecot-password"),
                "user_query": mq.load("dovecot-user", mail_root="/var/vmail"),
                "iterate_query": mq.load("dovecot-iterate"),
            },
        )
    )
    conf = directory / "dovecot.conf"
    conf.write_text(f"""
instance_name = mailstack-bench
base_dir = {directory}/run
state_dir = {directory}/state
protocols =
log_path = {directory}/dovecot.log
ssl = no
auth_mechanisms = plain
auth_failure_delay = 0
auth_username_format = %Lu
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
passdb {{
  driver = sql
  args = {sql_conf}
}}
userdb {{
  driver = sql
  args = {sql_conf}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""")
    (directory / "state").mkdir()
    with open(os.devnull) as null, open(directory / "dovecot.log", "a") as log:
        subprocess.run(["dovecot", "-c", str(conf)], stdin=null, stdout=log, stderr=log, check=True, timeout=60)
    deadline = time.monotonic() + 30
    while not (directory / "run" / "auth-userdb").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench Dovecot did not start: {(directory / 'dovecot.log').read_text()[-500:]}")
        time.sleep(0.1)
    return conf


def time_doveadm(conf: Path, args_for, users: list[str]) -> float:
    """Median ms per doveadm call; every call must succeed."""
    times = []
    for user in users:
        started = time.perf_counter()
        result = subprocess.run(
            ["doveadm", "-c", str(conf), *args_for(user)], capture_output=True, text=True, timeout=60
        )
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"doveadm {' '.join(args_for(user))}: {result.stderr.strip() or result.stdout}")
    return statistics.median(times) * 1000


# ------------------------------------------------------------------ main


def bench_database(url: str, keys: int, logins: int, runs: int = RUNS) -> dict:
    stack = load_mailstack()
    db = stack.parse_database(url)
    ensure_catchalls(url)
    sample, disabled = sample_keys(url, keys)
    directory = Path(tempfile.mkdtemp(prefix="mailstack-bench-"))
    conf = None
    set_active(url, disabled, False)
    try:
        specs = write_maps(stack, db, directory)
        postfix = time_postmaps(specs, sample, runs)
        if not postfix[FLOOR][1]:
            # A floor that misses times an empty lookup, and every ratio lies.
            raise SystemExit("the floor found none of its keys: quota_usage is empty (seed with --seed)")
        for label, (micros, found) in postfix.items():
            print(
                f"  {label}: {micros:.0f} µs/key ({found}/{len(set(sample[label][1]))} distinct keys found)",
                file=sys.stderr,
            )
        set_active(url, disabled, True)
        conf = dovecot_instance(stack, db, directory)
        users = sample["postfix-mailboxes"][1][:logins]
        dovecot = {
            "doveadm auth test": time_doveadm(conf, lambda u: ["auth", "test", u, BENCH_PASSWORD], users),
            "doveadm user": time_doveadm(conf, lambda u: ["user", u], users),
        }
        print(f"  {dovecot}", file=sys.stderr)
        return {"postfix": postfix, "dovecot": dovecot}
    finally:
        set_active(url, disabled, True)
        if conf is not None:
            subprocess.run(["doveadm", "-c", str(conf), "stop"], capture_output=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


def markdown(results: dict, keys: int, logins: int, runs: int = RUNS) -> str:
    backends = list(results)
    labels = list(next(iter(results.values()))["postfix"])
    labels.remove(FLOOR)
    lines = [
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, {platform.platform()}); {keys} random keys per row, "
        f"best of {runs} interleaved `postmap -q -` runs.",
        "",
        "| map (query file): keys | " + " | ".join(f"{b} µs/key | × floor" for b in backends) + " |",
        "| --- | " + " | ".join("---: | ---:" for _ in backends) + " |",
    ]

    def cells(micros_of) -> str:
        out = []
        for backend in backends:
            postfix = results[backend]["postfix"]
            micros = micros_of(postfix)
            out.append(f"{micros:.0f} | {micros / postfix[FLOOR][0]:.2f}")
        return " | ".join(out)

    for label in [FLOOR, *labels]:
        lines.append(f"| {label} | " + cells(lambda postfix, label=label: postfix[label][0]) + " |")
    chains = {
        "mailbox, before 0018 (aliases miss + mailbox self-map)": [BEFORE_MISS, "postfix-mailboxes"],
        **{kind: [f"{RECIPIENT}: {kind}"] for kind in KINDS if kind != "alias-domain mailbox"},
        "alias-domain mailbox": [f"{RECIPIENT}: alias-domain mailbox", f"{RECIPIENT}: alias-domain mailbox, 2nd probe"],
    }
    lines += [
        "",
        "The `virtual_alias_maps` chain per recipient kind (probes Postfix sends for the recipient itself):",
        "",
        "| recipient | probes | " + " | ".join(f"{b} µs | × floor" for b in backends) + " |",
        "| --- | ---: | " + " | ".join("---: | ---:" for _ in backends) + " |",
    ]
    for kind, parts in chains.items():
        total = lambda postfix, parts=parts: sum(postfix[p][0] for p in parts)  # noqa: E731
        lines.append(f"| {kind} | {len(parts)} | " + cells(total) + " |")
    lines += [
        "",
        f"Dovecot, median ms per `doveadm` call over {logins} users (a new doveadm process each "
        "time; auth test includes verifying a SHA512-CRYPT hash with 100,000 rounds):",
        "",
        "| call | " + " | ".join(backends) + " |",
        "| --- | " + " | ".join("---:" for _ in backends) + " |",
    ]
    for call in ("doveadm auth test", "doveadm user"):
        lines.append(f"| `{call}` | " + " | ".join(f"{results[b]['dovecot'][call]:.1f}" for b in backends) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="PostgreSQL database (empty with --seed)")
    parser.add_argument("--sqlite-path", help="SQLite file (must not exist with --seed)")
    parser.add_argument("--seed", action="store_true", help="fill the databases first (bench/seed.py)")
    parser.add_argument(
        "--mailboxes",
        type=int,
        default=1_000_000,
        help="with --seed: mailboxes (and as many aliases, 1 domain per 100)",
    )
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--runs", type=int, default=RUNS, help="interleaved postmap runs per map; the best counts")
    args = parser.parse_args(argv)
    databases = {}
    if args.pg_url:
        databases["PostgreSQL"] = args.pg_url
    if args.sqlite_path:
        databases["SQLite"] = "sqlite:///" + str(Path(args.sqlite_path).resolve())
    if not databases:
        parser.error("give --pg-url and/or --sqlite-path")
    results = {}
    for backend, url in databases.items():
        if args.seed:
            print(f"seeding {backend} ...", file=sys.stderr)
            seed_database(url, args.mailboxes)
        print(f"{backend}:", file=sys.stderr)
        results[backend] = bench_database(url, args.keys, args.logins, args.runs)
    print(markdown(results, args.keys, args.logins, args.runs))


if __name__ == "__main__":
    main()
