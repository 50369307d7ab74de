"""Notification rules, one module per concern: kinds and preferences, delivery (who is told),
events (what each signal means for whom), the centre, e-mail and digests."""
