from app.scheduler import every
from challenges import services


def tick_phases():
    """Move challenges whose phase dates have passed."""
    services.tick_phases()


every(60, tick_phases)
