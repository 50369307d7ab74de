"""The one clock the application reads, so tests can move time."""
from datetime import UTC, datetime

_frozen = None


def now():
    """Timezone-aware UTC now, or the time a test has frozen."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(moment):
    """Fix the clock at `moment` (None releases it). For tests and demos."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    _frozen = moment


def aware(moment):
    """Values read back from SQLite lose their zone; they are stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
