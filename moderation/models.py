"""Flags, moderation decisions, sanctions and the audit log (see the moderation issue)."""
