"""Supports, milestones, dot-votes and pairwise comparisons (see the voting issue)."""
