"""``python -m panel ...``: the ``mailpanel`` command without its script."""

from panel.cli import main

main()
