"""Every rule of the panel lives here.

Functions take ``(session, actor, ...)``, validate, enforce limits and
permissions, write the audit event, and never commit: the view, CLI
command, importer or API call that invoked them owns the transaction.
"""

from .actor import Actor
from .errors import Conflict, Forbidden, NotFound, ServiceError

__all__ = ["Actor", "Conflict", "Forbidden", "NotFound", "ServiceError"]
