"""Demo content for search: the index, built from whatever the other features seeded."""
from app import jobs
from search import jobs as search_jobs
from search.services import QUEUE


def seed_demo(members):
    # After the demo commits; the per-item jobs are already queued, but one
    # rebuild makes a fresh site's index complete and compact.
    jobs.enqueue(search_jobs.rebuild_index, queue=QUEUE)
