"""Mutation run of the authorization checks in panel/services/.

For each function declared in CHECKS, every authorization check in it is
broken, one at a time, in a scratch copy of the worktree, and the tests
named for it are run (SQLite, ``-x``). A mutant a test fails on is killed;
one every test passes on is a survivor: a check no test notices deleting.

    .venv/bin/python tests/mutation/run.py           # every check (make mutation)
    .venv/bin/python tests/mutation/run.py tokens     # the checks in tokens.py
    .venv/bin/python tests/mutation/run.py --list     # the mutants, nothing run
    .venv/bin/python tests/mutation/run.py aliases.py:get_alias --tests tests/test_services_aliases.py

What is broken in a declared function (nothing else is touched):

- drop-call: a call statement to a check (``actor.require_manage(...)``,
  ``_require_rank(...)``, ``require_self_or_manager(...)`` ...) is deleted;
- drop-if: an ``if`` whose test reads the actor (``actor.*``, ``self.*`` in
  Actor, ``own``, ``is_owner(...)``) is deleted, body and all (a guard's raise, a scope's where);
- drop-operand: one actor-reading operand of such an ``if``'s and/or test
  is left out (``if row is None or not mine: raise`` -> ``if row is None``);
- return-true/return-false, drop-operand: a ``-> bool`` predicate answers
  always yes, always no, or without one of its and/or operands;
- no-scope: ``scope_clauses(...)`` gives ``[]``, ``scoped(q, ...)`` gives
  ``q``, an actor-reading ``a if test else b`` gives either branch;
- own-true: ``own = <comparison with the actor>`` becomes ``own = True``.

Adding a check: add one line to CHECKS (file, function, the tests that
should catch its deletion). The scratch copy is a fresh temporary
directory, so an interrupted run never leaves the worktree mutated.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The tests each area's checks answer to, the quickest killers first.
RULES = ("tests/test_actor_rules.py",)
CORE = ("tests/test_services_mailboxes.py", "tests/test_services_aliases.py", "tests/test_services_domains.py")
PERMS = ("tests/test_permissions.py", "tests/api/test_api_permissions.py")
ADMINS = ("tests/test_services_admins.py", "tests/web/test_sessions.py", *PERMS)
TOKENS = ("tests/test_services_tokens.py", "tests/api/test_api_permissions.py")
OWNER = (
    "tests/test_mailbox_owner_rules.py",
    "tests/web/test_portal.py",
    "tests/api/test_mailbox_settings_api.py",
    "tests/test_cli_mailbox_settings.py",
)
BULK = ("tests/test_services_mailbox_bulk.py", "tests/web/test_mailbox_bulk.py")
LISTS = (
    "tests/test_list_scopes.py",
    "tests/test_read_interface.py",
    "tests/api/test_tenant_answers.py",
    "tests/api/test_export_access.py",
    "tests/test_search.py",
    "tests/test_export_reads.py",
    *PERMS,
)

# fmt: off
CHECKS = [
    # file under panel/services/     function (Class.method)      tests that must catch its deletion
    ("actor.py",                     "Actor.is_superadmin",         (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.sees_domain",           (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.require_superadmin",    (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.may_manage",            (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.may_reset_password",    (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.require_manager",       (*RULES, *LISTS)),
    ("actor.py",                     "Actor.require_manage",        (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.require_password_reset", (*RULES, *CORE, *PERMS)),
    ("actor.py",                     "Actor.require_sight",         (*RULES, *CORE, *LISTS)),
    ("admins.py",                    "create_admin",                ADMINS),
    ("admins.py",                    "update_admin",                ADMINS),
    ("admins.py",                    "set_admin_password",          ADMINS),
    ("admins.py",                    "end_sessions",                ADMINS),
    ("admins.py",                    "list_admins",                 ADMINS),
    ("tokens.py",                    "_may_manage",                 TOKENS),
    ("tokens.py",                    "create_token",                TOKENS),
    ("tokens.py",                    "list_tokens",                 TOKENS),
    ("tokens.py",                    "get_token",                   TOKENS),
    ("tokens.py",                    "revoke_token",                TOKENS),
    ("mailbox_access.py",            "is_owner",                    OWNER),
    ("mailbox_access.py",            "require_self_or_manager",     OWNER),
    ("vacation.py",                  "get_vacation",                OWNER),
    ("vacation.py",                  "set_vacation",                OWNER),
    ("vacation.py",                  "switch_off",                  OWNER),
    ("forwarding.py",                "get_forwarding",              OWNER),
    ("forwarding.py",                "set_forwarding",              OWNER),
    ("forwarding.py",                "stop_forwarding",             OWNER),
    ("app_passwords.py",             "create",                      OWNER),
    ("app_passwords.py",             "list_for",                    OWNER),
    ("app_passwords.py",             "get",                         OWNER),
    ("app_passwords.py",             "revoke",                      OWNER),
    ("portal.py",                    "overview",                    OWNER),
    ("mailbox_bulk.py",              "_check",                      BULK),
    ("mailbox_bulk.py",              "matching_count",              BULK),
    ("portal.py",                    "sign_out_everywhere",         OWNER),
    ("lists/keyset.py",              "scope_clauses",               LISTS),
    ("lists/keyset.py",              "scoped",                      LISTS),
    ("lists/aliases.py",             "alias_page",                  LISTS),
    ("lists/aliases.py",             "alias_domains_of",            LISTS),
    ("lists/aliases.py",             "api_aliases",                 LISTS),
    ("lists/aliases.py",             "api_alias_domains",           LISTS),
    ("lists/audit.py",               "admin_page",                  LISTS),
    ("lists/audit.py",               "audit_page",                  LISTS),
    ("lists/audit.py",               "recent_events",               LISTS),
    ("lists/domains.py",             "visible_domain",              LISTS),
    ("lists/domains.py",             "domain_page",                 LISTS),
    ("lists/domains.py",             "all_domains",                 (*LISTS, "tests/test_cli.py")),
    ("lists/domains.py",             "domain_totals",               LISTS),
    ("lists/domains.py",             "largest_domains",             LISTS),
    ("lists/domains.py",             "api_domains",                 LISTS),
    ("lists/export.py",              "_domain_scope",               LISTS),
    ("lists/export.py",              "export_chunks",               LISTS),
    ("lists/export.py",              "usage_rows",                  LISTS),
    ("lists/export.py",              "export_alias_chunks",         LISTS),
    ("lists/export.py",              "export_alias_domains",        LISTS),
    ("lists/export.py",              "export_coverage",             LISTS),
    ("lists/mailboxes.py",           "mailbox_page",                LISTS),
    ("lists/mailboxes.py",           "near_quota",                  LISTS),
    ("lists/search.py",              "search_mailboxes",            LISTS),
    ("lists/search.py",              "api_mailboxes",               LISTS),
    ("aliases.py",                   "get_alias",                   (*CORE, *PERMS)),
    ("aliases.py",                   "update_alias",                (*CORE, *PERMS)),
    ("aliases.py",                   "delete_alias",                (*CORE, *PERMS)),
    ("aliases.py",                   "get_alias_domain",            (*CORE, *PERMS)),
    ("aliases.py",                   "create_alias_domain",         (*CORE, *PERMS)),
    ("aliases.py",                   "set_alias_domain_active",     (*CORE, *PERMS)),
    ("aliases.py",                   "delete_alias_domain",         (*CORE, *PERMS)),
    ("mailboxes.py",                 "get_mailbox",                 (*CORE, *PERMS)),
    ("mailboxes.py",                 "update_mailbox",              (*CORE, *PERMS)),
    ("mailboxes.py",                 "set_password",                (*CORE, *PERMS)),
    ("mailboxes.py",                 "delete_mailbox",              (*CORE, *PERMS)),
    ("domains.py",                   "create_domain",               (*CORE, *PERMS)),
    ("domains.py",                   "update_domain",               (*CORE, *PERMS)),
    ("domains.py",                   "set_user_rights",             (*CORE, *PERMS, *OWNER)),
    ("domains.py",                   "set_domain_active",           (*CORE, *PERMS)),
    ("domains.py",                   "delete_domain",               (*CORE, *PERMS)),
    ("domains.py",                   "managed_domain",              (*CORE, *PERMS)),
]
# fmt: on

# Mutants that cannot change behaviour, each with the reason a reader can check:
# they are reported as "equivalent" and do not fail the run. A declared one that
# is killed after all is reported too (the code changed: drop its line).
EQUIVALENT = {
    ("admins.py", "set_admin_password", "no-scope(body)"): (
        "keep=actor.session_id always: when the reset is not one's own, the actor's "
        "session never belongs to the account reset, so keeping it ends nothing less"
    ),
    ("mailbox_access.py", "is_owner", "drop-operand1"): (
        "without `actor.mailbox_id is not None`: a saved mailbox's id is never None, "
        "so None == mailbox.id is already False"
    ),
}

# Calls that are checks: deleting the statement deletes the check.
CHECK_CALLS = {
    "require_superadmin",
    "require_manager",
    "require_manage",
    "require_password_reset",
    "require_sight",
    "require_self_or_manager",
    "_require_reader",
    "_may_manage",
}
ACTOR_NAMES = {"actor", "self"}


@dataclass
class Mutant:
    file: str
    function: str
    kind: str
    line: int
    tests: tuple
    apply: object  # (function node copy) -> None, mutates it in place
    index: int


def reads_actor(node: ast.AST) -> bool:
    """Whether ``node`` asks something of the actor: ``actor.x`` (``self.x`` in
    Actor), ``own``, ``is_owner(...)``; passing the actor on to a function
    that is not a check does not count."""
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ACTOR_NAMES:
            return True
        if (isinstance(n, ast.Name) and n.id == "own") or call_name(n) == "is_owner":
            return True
    return False


def call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return None


def find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef:
    scope: ast.AST = tree
    for part in qualname.split("."):
        scope = next(n for n in scope.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
    return scope


def sites(function: ast.FunctionDef):
    """(kind, line, path to the node, how to mutate it) for every check in ``function``."""
    predicate = isinstance(function.returns, ast.Name) and function.returns.id == "bool"
    nodes = list(ast.walk(function))
    for i, node in enumerate(nodes):
        if isinstance(node, ast.Expr) and call_name(node.value) in CHECK_CALLS:
            yield "drop-call", node.lineno, i, lambda n: _replace(n, ast.Pass())
        elif isinstance(node, ast.If) and reads_actor(node.test):
            yield "drop-if", node.lineno, i, lambda n: _replace(n, *(n.orelse or [ast.Pass()]))
            yield from _operands(node, i, "test")
        elif isinstance(node, ast.Return) and predicate and node.value is not None:
            yield "return-true", node.lineno, i, lambda n: setattr(n, "value", ast.Constant(True))
            yield "return-false", node.lineno, i, lambda n: setattr(n, "value", ast.Constant(False))
            yield from _operands(node, i, "value")
        elif call_name(node) == "scope_clauses":
            yield "no-scope", node.lineno, i, lambda n: _swap(n, ast.List([], ast.Load()))
        elif call_name(node) == "scoped":
            yield "no-scope", node.lineno, i, lambda n: _swap(n, n.args[0])
        elif isinstance(node, ast.IfExp) and reads_actor(node.test):
            yield "no-scope(body)", node.lineno, i, lambda n: _swap(n, n.body)
            yield "no-scope(else)", node.lineno, i, lambda n: _swap(n, n.orelse)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Compare) and reads_actor(node.value):
            yield "own-true", node.lineno, i, lambda n: setattr(n, "value", ast.Constant(True))


def _operands(node, i, field):
    value = getattr(node, field)
    if isinstance(value, ast.BoolOp) and len(value.values) > 1:
        for k, operand in enumerate(value.values):
            if reads_actor(operand):
                yield f"drop-operand{k + 1}", node.lineno, i, lambda n, k=k: _drop(getattr(n, field), k)


def _drop(boolop: ast.BoolOp, k: int) -> None:
    del boolop.values[k]


def _replace(node, *new):
    node._replace_with = list(new)


def _swap(node, new):
    node._swap_with = new


def _apply(tree: ast.Module, qualname: str, index: int, how) -> str:
    tree = copy.deepcopy(tree)
    function = find_function(tree, qualname)
    target = list(ast.walk(function))[index]
    how(target)

    class Rewrite(ast.NodeTransformer):
        def generic_visit(self, node):
            super().generic_visit(node)
            if hasattr(node, "_replace_with"):
                return node._replace_with
            if hasattr(node, "_swap_with"):
                return node._swap_with
            if isinstance(node, ast.BoolOp) and len(node.values) == 1:
                return node.values[0]
            return node

    return ast.unparse(ast.fix_missing_locations(Rewrite().visit(tree)))


def mutants(selected):
    found = []
    for file, qualname, tests in selected:
        path = ROOT / "panel" / "services" / file
        tree = ast.parse(path.read_text())
        function = find_function(tree, qualname)
        for kind, line, index, how in sites(function):
            found.append(Mutant(file, qualname, kind, line, tests, (tree, how), index))
        if not any(m.file == file and m.function == qualname for m in found):
            raise SystemExit(f"{file}:{qualname} is declared but has no check to mutate")
    return found


def scratch_copy() -> Path:
    where = Path(tempfile.mkdtemp(prefix="mailpanel-mutation-"))
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "test-artifacts", "*.sqlite", "instance")
    shutil.copytree(ROOT, where / "tree", ignore=ignore)
    return where / "tree"


def run_tests(tree: Path, tests, timeout: int) -> tuple[bool, str]:
    """(passed, the last line of pytest's report)."""
    env = dict(os.environ, MAILPANEL_TEST_DATABASES="sqlite", PYTHONDONTWRITEBYTECODE="1")
    command = [str(ROOT / ".venv/bin/python"), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout} s"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    return done.returncode == 0, (failed[0] if failed else lines[-1] if lines else done.stderr[-200:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="run only checks whose file:function starts with one of these")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--tests", nargs="+", help="run these tests instead of the declared ones (a new test's proof)")
    args = parser.parse_args()
    selected = [c for c in CHECKS if not args.only or any(f"{c[0]}:{c[1]}".startswith(o) for o in args.only)]
    if args.tests:
        selected = [(file, function, tuple(args.tests)) for file, function, _ in selected]
    found = mutants(selected)
    unknown = set(EQUIVALENT) - {_key(m) for m in mutants(CHECKS)}
    if unknown:
        raise SystemExit(f"EQUIVALENT names mutants that no longer exist: {sorted(unknown)}")
    if args.list:
        for m in found:
            print(f"{m.file}:{m.line} {m.function} {m.kind}")
        print(f"{len(found)} mutants in {len(selected)} functions")
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the scratch copy is removed
    tree = scratch_copy()
    probe = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", "import panel; print(panel.__file__)"],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if not probe.stdout.startswith(str(tree)):
        raise SystemExit(f"the scratch copy's panel is not the one imported: {probe.stdout or probe.stderr}")
    survivors, started = [], time.monotonic()
    try:
        for n, m in enumerate(found, 1):
            target = tree / "panel" / "services" / m.file
            original = target.read_text()
            parsed, how = m.apply
            target.write_text(_apply(parsed, m.function, m.index, how))
            try:
                passed, why = run_tests(tree, m.tests, args.timeout)
            finally:
                target.write_text(original)
            verdict = "SURVIVED" if passed else "killed"
            print(f"[{n}/{len(found)}] {verdict:8} {m.file}:{m.line} {m.function} {m.kind}  {why}", flush=True)
            if passed:
                survivors.append(m)
    finally:
        shutil.rmtree(tree.parent, ignore_errors=True)
    minutes = (time.monotonic() - started) / 60
    equivalent = [m for m in survivors if _key(m) in EQUIVALENT]
    survivors = [m for m in survivors if _key(m) not in EQUIVALENT]
    killed = len(found) - len(survivors) - len(equivalent)
    print(
        f"\n{len(found)} mutants, {killed} killed, {len(equivalent)} equivalent, "
        f"{len(survivors)} survived ({minutes:.1f} min)"
    )
    for m in equivalent:
        print(f"  equivalent: {m.file}:{m.line} {m.function} {m.kind}: {EQUIVALENT[_key(m)]}")
    for key in sorted(set(EQUIVALENT) - {_key(m) for m in equivalent} & {_key(m) for m in found}):
        print(f"  declared equivalent but killed (drop it from EQUIVALENT): {':'.join(key)}")
    for m in survivors:
        print(f"  survivor: {m.file}:{m.line} {m.function} {m.kind}")
    return 1 if survivors else 0


def _key(m: Mutant) -> tuple[str, str, str]:
    return (m.file, m.function, m.kind)


if __name__ == "__main__":
    sys.exit(main())
