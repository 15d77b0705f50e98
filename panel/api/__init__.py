"""JSON API under /api/v1 (bearer tokens). Filled in by the bulk-work issue."""


def init_app(app) -> None:
    pass
