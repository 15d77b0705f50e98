"""Mail homes on disk: ``MAIL_ROOT/<domain>/<random>`` (see
services.mailboxes.new_maildir), read only. Nothing here removes files:
deleting mail is an operator's decision, never the panel's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator


def homes(mail_root: Path) -> Iterator[str]:
    """Every directory two levels below ``mail_root``, as a path relative to
    it (the form of ``mailboxes.maildir``), in name order per level.

    Streamed, one domain folder at a time, so a million homes never sit in
    memory at once. Files and symbolic links are not homes and are skipped
    (a link could lead anywhere on the disk).
    """
    for domain in _directories(mail_root):
        for home in _directories(Path(domain.path)):
            yield f"{domain.name}/{home.name}"


def _directories(path: Path) -> list[os.DirEntry]:
    with os.scandir(path) as entries:
        found = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
    return sorted(found, key=lambda entry: entry.name)
