"""Server time of the panel's pages at 1M mailboxes against an empty database.

    .venv/bin/python bench/web.py [--url postgresql://postgres@127.0.0.1/mailpanel_bench_web]
        [--iterations 200] [--mailboxes 1000000] [--big-domain 200000] [--domains 10000]
        [--audit-events N] [--reuse] [--write-docs]

    # issue 17's 10M: 100k domains, 2M mailboxes in one, 10M aliases
    .venv/bin/python bench/web.py --url postgresql://postgres@127.0.0.1/mailpanel_bench_10m \
        --mailboxes 10000000 --big-domain 2000000 --domains 100000 --iterations 100 --write-docs

Two databases: ``URL`` is dropped, re-created and seeded by bench/seed.py
(10k domains, one with ``--big-domain`` mailboxes, 1M aliases), plus a
quota_usage row for every mailbox; ``URL_empty`` holds one empty domain.
Each page is requested in-process through Flask's test client as a
logged-in superadmin (no network, no browser: this is the server's time),
after a warm-up; p50/p95 are reported per page. ``--reuse`` keeps an
already-seeded database. ``--write-docs`` replaces the "Web pages" section
of docs/performance.md ("Web pages at 10M" for a 10M run). Audit events
default to two per mailbox.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from seed import load_quota_usage, seed  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from panel import create_app, migrate  # noqa: E402
from panel.db import get_session, normalize_url  # noqa: E402
from panel.services import Actor, admins, domains  # noqa: E402

USERNAME, PASSWORD = "bench-admin", "bench-password-1"
BIG = "d1.example"


def _recreate(url: str) -> None:
    target = make_url(normalize_url(url))
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def _usage_for_everyone(url: str) -> None:
    """Dovecot's quota_clone rows: usage spread over 0..100% of the 1G quota.

    Then VACUUM, as autovacuum would soon after a bulk load: until it has
    run, the visibility map is unset and every "index-only" walk reads the
    table too (the broad search ~3× slower), a transient state rather than
    the one the pages live in.
    """
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        load_quota_usage(conn, "SELECT address, ((id % 1000) * 7919 % 1000) * 1073741, id % 500 FROM mailboxes")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    engine.dispose()


def _audit_trail(url: str, events: int) -> None:
    """An audit log as long as the mailboxes' history would make it: one
    event a second going back, by a few actors (one rare, "alice"),
    over six actions, each on its own target."""
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (at, actor, action, target, details, remote_addr) "
                "SELECT now() - make_interval(secs => g), "
                "CASE WHEN g % 100 = 0 THEN 'alice' WHEN g % 7 = 0 THEN 'cli:root' ELSE 'api:token' || (g % 50) END, "
                "(ARRAY['mailbox.create','mailbox.password','mailbox.update','alias.create','login.success',"
                "'mailbox.delete'])[1 + g % 6], 'u' || g || '@d' || (g % 10000) || '.example', '{}', '127.0.0.1' "
                "FROM generate_series(1, :n) g"
            ),
            {"n": events},
        )
    engine.dispose()


def _app_with_admin(url: str, empty_domain: bool = False):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        session, actor = get_session(), Actor.system("bench")
        admins.create_admin(session, actor, USERNAME, "superadmin", PASSWORD)
        if empty_domain:
            domains.create_domain(session, actor, BIG)
        session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return app, client


def _deep_key(url: str) -> str:
    """The local part 90% of the way through the big domain (what page ~3600 starts after)."""
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        key = conn.execute(
            text(
                "SELECT local_part FROM mailboxes WHERE domain_id = (SELECT id FROM domains WHERE name = :d) "
                "ORDER BY local_part OFFSET (SELECT mailbox_count * 9 / 10 FROM domains WHERE name = :d) LIMIT 1"
            ),
            {"d": BIG},
        ).scalar()
    engine.dispose()
    return key or "u0"


# Measured and shown, but not among the pages the target names.
EXTRA = (
    "search, clustered (ser 99)",
    "search, broad, by usage",
    "search, broad, by last change",
    "search, narrow, by usage",
)


def pages(deep_key: str) -> list[tuple[str, str]]:
    return [
        ("dashboard", "/"),
        ("domain list", "/domains/"),
        (f"mailbox list {BIG}, page 1 (by address)", f"/domains/{BIG}/mailboxes"),
        (f"mailbox list {BIG}, deep page (90%)", f"/domains/{BIG}/mailboxes?after={deep_key}"),
        (f"mailbox list {BIG}, by last change", f"/domains/{BIG}/mailboxes?sort=changed"),
        (f"mailbox list {BIG}, by usage", f"/domains/{BIG}/mailboxes?sort=usage"),
        ("search, narrow (u123456)", "/mailboxes?q=u123456"),
        ("search, broad (ser 12)", "/mailboxes?q=ser+12"),
        ("search, clustered (ser 99)", "/mailboxes?q=ser+99"),
        ("search, broad, by usage", "/mailboxes?q=ser+12&sort=usage"),
        ("search, broad, by last change", "/mailboxes?q=ser+12&sort=changed"),
        ("search, narrow, by usage", "/mailboxes?q=u123456&sort=usage"),
        ("audit log", "/audit/"),
        ("audit log, target prefix (u1999*)", "/audit/?target=u1999*"),
        ("audit log, rare actor and action", "/audit/?actor=alice&action=mailbox.create"),
    ]


def measure(clients: list, urls: list[str], iterations: int) -> list[tuple[float, float]]:
    """(p50, p95) ms per (client, url), the requests interleaved (one of
    each in turn), so drift in a shared machine's speed hits both sides of
    a ratio alike."""
    for client, url in zip(clients, urls, strict=True):
        for _ in range(5):
            assert client.get(url).status_code == 200, url
    times: list[list[float]] = [[] for _ in clients]
    for _ in range(iterations):
        for i, (client, url) in enumerate(zip(clients, urls, strict=True)):
            started = time.perf_counter()
            response = client.get(url)
            times[i].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
    results = []
    for series in times:
        series.sort()
        results.append((statistics.median(series), series[int(len(series) * 0.95) - 1]))
    return results


def size_label(mailboxes: int) -> str:
    return f"{mailboxes // 1_000_000}M" if mailboxes % 1_000_000 == 0 else f"{mailboxes:,}"


def run(url: str, iterations: int, mailboxes: int, big: int, reuse: bool, domains_: int, audit_events: int) -> list:
    empty_url = url + "_empty"
    _recreate(empty_url)
    migrate.upgrade(normalize_url(empty_url))
    if not reuse:
        _recreate(url)
        seed(url, domains=domains_, mailboxes=mailboxes, aliases=mailboxes, big_domain=big)
        started = time.perf_counter()
        _audit_trail(url, audit_events)
        print(f"audit events: {audit_events:,} in {time.perf_counter() - started:.1f}s", flush=True)
    _usage_for_everyone(url)
    _, empty_client = _app_with_admin(empty_url, empty_domain=True)
    _, full_client = _app_with_admin(url) if not reuse else _reuse_login(url)
    rows = []
    for label, page in pages(_deep_key(url)):
        empty_page = page.replace("after=", "after=u") if "after=" in page else page
        empty, full = measure([empty_client, full_client], [empty_page, page], iterations)
        rows.append((label, page, empty, full))
        print(
            f"{label:45} empty p50 {empty[0]:6.1f} p95 {empty[1]:6.1f} | {size_label(mailboxes)} p50 {full[0]:6.1f} "
            f"p95 {full[1]:6.1f} ms  ({full[1] / empty[1]:.1f}x)",
            flush=True,
        )
    return rows


def _reuse_login(url: str):
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM admins WHERE username = :u"), {"u": USERNAME})
    engine.dispose()
    return _app_with_admin(url)


def section_title(mailboxes: int) -> str:
    return "## Web pages" if mailboxes == 1_000_000 else f"## Web pages at {size_label(mailboxes)}"


def markdown(rows, iterations: int, mailboxes: int, big: int, domains_: int, audit_events: int) -> str:
    size = size_label(mailboxes)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    lines = [
        section_title(mailboxes),
        "",
        f"`bench/web.py` on {datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} × {cpu}, PostgreSQL, "
        f"Python {platform.python_version()}. Server time of one request through Flask's test client as a "
        f"logged-in superadmin ({iterations} requests per page after 5 warm-ups, the empty and the full "
        f"database's requests taken in turn), with {mailboxes:,} mailboxes "
        f"({big:,} in `{BIG}`), as many aliases, {domains_:,} domains, a quota_usage row per mailbox "
        f"and {audit_events:,} audit events, "
        f"against an empty database. Target: p95 ≤ 100 ms at {size} and ≤ 3× empty.",
        "",
        f"| page | empty p50 | empty p95 | {size} p50 | {size} p95 | p95 ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, _page, empty, full in rows:
        lines.append(
            f"| {label} | {empty[0]:.1f} ms | {empty[1]:.1f} ms | {full[0]:.1f} ms | {full[1]:.1f} ms | "
            f"{full[1] / empty[1]:.1f}× |"
        )
    targeted = [row for row in rows if row[0] not in EXTRA]
    slow = [label for label, _p, _e, full in targeted if full[1] > 100]
    over = [f"{label} ({full[1] / empty[1]:.1f}×)" for label, _p, empty, full in targeted if full[1] > 3 * empty[1]]
    lines += [
        "",
        f"Re-run: `.venv/bin/python bench/web.py {'' if mailboxes == 1_000_000 else f'--url postgresql://postgres@127.0.0.1/mailpanel_bench_{size.lower()} --mailboxes {mailboxes} --big-domain {big} --domains {domains_} '}--write-docs` "
        + (
            "(at 1M about 5 minutes: seeding takes ~2; `--reuse` skips it)."
            if mailboxes == 1_000_000
            else "(at 10M seeding takes ~19 minutes and the audit trail ~5 more, then ~6 minutes of requests; "
            "`--reuse` skips the seeding)."
        ),
        "",
        f"**Target (the pages the issue names, every row but the last {len(EXTRA)} searches): "
        f"over 100 ms at p95: {', '.join(slow) or 'none'}; over 3× the empty database: "
        f"{', '.join(over) or 'none'}.** The {len(EXTRA)} extra rows (a clustered search, the search's other sort orders) "
        "are measured for what they cost, not part of the target.",
    ]
    if mailboxes != 1_000_000:
        lines += [
            "",
            'Why the pages stay flat, and what the search rows do: the "Web pages" section (1M) above. '
            "What grows at this size is the broad and clustered searches. Their matches are ~1% of the "
            "mailboxes (111,111 of 10M), and neither index serves both the needle and the order. In "
            "address order the broad row's first match sits ~220,000 entries into the index (~22,000 at "
            "1M): the rounds walk 350,000 entries to reach it (~0.2 µs an entry, index-only, so ~100 ms). "
            "The clustered row's matches sit behind 9.8M entries, so the rounds gather and sort all "
            "111,111 matches from the trigram index (~150 ms) after their walks. Before the rounds skipped "
            "the gathers that PostgreSQL's estimate (101,000 here) showed could not succeed, the broad row "
            "spent ~350 of its ~400 ms in three of them. Making these rows flat would take an index "
            "ordered by address that also answers a substring (an n-gram table kept beside mailboxes, or "
            "an extension such as RUM), several times the table's size, which we judged not worth it "
            "for these rows. The sorted searches refuse past 20,000 matches, so the broad row by usage measures "
            "that refusal (gather 20,001 matches, count them).",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "Why it holds: every list is a keyset page on an index (`(domain_id, local_part)` for address order, "
        "`ix_mailboxes_domain_updated` for last change, `ix_quota_usage_bytes` (bytes, username) walked "
        "backwards for usage, each row's domain read from `uq_mailboxes_address`, both index-only, "
        "then never-used mailboxes), so a deep page costs what page 1 costs; totals come from the counters on "
        "the domain row; the dashboard reads the 500 largest usages and the largest domains through indexes; "
        "the audit log walks `at` or, filtered, `(actor | action | target, at)`, the last two with pattern "
        "ops so that a `prefix*` filter uses them too (migration 0010; before it, a prefix matching little "
        "walked all 2M events, ~0.2 s).",
        "",
        "Search (migration 0009) matches `search_text`, a generated column holding the lower-cased address and "
        "name, with a case-sensitive `LIKE '%x%'` (ILIKE folded case row by row and cost ~8× more per row). "
        "In address order a search takes one of three roads (`lists.search._search_by_address`). When PostgreSQL "
        "estimates few matches (≤ 2,000, `FEW_MATCHES`; an `EXPLAIN` of the match, ~0.3 ms) the trigram index "
        "finds them. Otherwise it walks `uq_mailboxes_address` in address order, at most 50,000 entries "
        "(`SEARCH_WALK_BUDGET`); the index also carries `search_text` and `domain_id`, so the broad row's "
        "~22,000 entries are filtered without reading the table (an index-only scan, ~2 ms) "
        "before the page's 50 rows are loaded. That holds once (auto)vacuum has set the table's visibility "
        "map: right after a bulk load, until autovacuum's next visit (it is due after inserting 20% of "
        "the table), the walk also reads each entry's table row and takes ~7 ms. The bench VACUUMs after "
        "seeding, the state the pages live in. A page the walk did not fill (the matches sit further on: "
        "a name search's matches cluster in address order, as 'User 99…' does here near the end) goes on "
        "in rounds (`lists.search.addresses_in_order`), each twice the last: gather up to 20,000 matches "
        "through the trigram index and sort them if that was all, else walk the next 50,000 addresses; "
        "a round whose cap is below PostgreSQL's estimate of the matches skips the gather, which could "
        "only come back full. A search so costs a small multiple of the cheaper of its match count and "
        "its distance in address order, instead of a walk of most of the index (the clustered row took "
        "~160 ms that way). Needles without a word of 3 letters or digits "
        '("zz", "@d9") have no trigram: they walk, up to the whole index (~0.2 s at 1M when '
        "nothing matches), and cannot be sorted by usage or last change. A domain admin's (or the API's "
        "`domain=`) scope of at most 50,000 mailboxes is read through the domain index instead of the walk "
        "(198 small domains at 1M: ~200 ms before, ~7 ms). Sorted by usage or last change, a search gathers its matches "
        "(the trigram index) and sorts them: the cost grows with the matches (the broad rows: 11,111 of "
        "them, each with a usage lookup for the usage order), and past 20,000 matches the panel asks for a "
        "narrower search instead of sorting (`SORTED_MATCHES_MAX`), so no search costs more than that at any "
        "size. Walking a usage or change index for a search instead met a match only every ~80 rows here "
        "and took 0.2-0.5 s.",
        "",
        "SQLite, the small embedded case, is not measured at 1M (its substring search scans).",
    ]
    if any(label.startswith("search, broad") for label in over):
        lines += [
            "",
            "The broad search is the one page whose work grows with the data: at 1M, with ~1% of names "
            "matching, its page is found after ~22,000 index entries (the index-only walk: ~2 ms, ~7 ms before "
            "autovacuum has visited a freshly loaded table, ~25 ms with ILIKE over table rows), and it renders 50 rows where the empty database renders "
            "none. A walk cannot get cheaper than the entries it reads, and the trigram bitmap reads the "
            "~11,000 matching table rows instead; making it independent of the data would take an "
            "inverted index ordered by address (an n-gram table kept beside mailboxes, or an extension such "
            "as RUM), which we judged not worth its size for this page.",
        ]
    return "\n".join(lines) + "\n"


def write_docs(section: str, title: str = "## Web pages") -> None:
    path = ROOT / "docs" / "performance.md"
    text_ = path.read_text() if path.exists() else "# Performance\n"
    start = text_.find(title + "\n")
    if start >= 0:
        end = text_.find("\n## ", start + 1)
        text_ = text_[:start] + section.rstrip("\n") + "\n\n" + (text_[end + 1 :] if end >= 0 else "")
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text_)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/mailpanel_bench_web")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--mailboxes", type=int, default=1_000_000)
    parser.add_argument("--big-domain", type=int, default=200_000)
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--audit-events", type=int, help="default: two per mailbox")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database from a previous run")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    audit_events = args.audit_events if args.audit_events is not None else 2 * args.mailboxes
    rows = run(args.url, args.iterations, args.mailboxes, args.big_domain, args.reuse, args.domains, audit_events)
    if args.write_docs:
        section = markdown(rows, args.iterations, args.mailboxes, args.big_domain, args.domains, audit_events)
        write_docs(section, section_title(args.mailboxes))


if __name__ == "__main__":
    main()
