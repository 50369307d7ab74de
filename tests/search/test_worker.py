"""A real rq worker, listening on the search queue in Redis, writes the index."""
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from app import jobs
from challenges.services import ideas as challenge_ideas
from search import services
from tests.factories import ChallengeFactory, UserFactory
from tests.search.conftest import commit, search, titles


@pytest.mark.redis
def test_index_writes_go_through_the_search_queue_to_a_worker(app, session, redis_url):
    app.config["REDIS_URL"] = redis_url
    try:
        challenge = ChallengeFactory()
        idea = challenge_ideas.submit_idea(UserFactory(), challenge, title="Lending shelf for board games",
                                           description="Families swap games at the community centre.",
                                           accept_norms=True)
        commit()
        connection = Redis.from_url(redis_url)
        queue = Queue(services.QUEUE, connection=connection)
        assert queue.count >= 1
        assert search(None, "board games").total == 0  # nothing written in the request
        assert services.QUEUE in jobs.queue_names()
        worker = SimpleWorker([queue], connection=connection)
        assert worker.work(burst=True)
        assert queue.count == 0 and not queue.failed_job_registry.count
        assert titles(search(None, "board games")) == [idea.title]
    finally:
        app.config["REDIS_URL"] = None


def test_whoosh_runs_clean_under_warnings_as_errors():
    """Every whoosh module search loads compiles without a SyntaxWarning (or any warning)."""
    code = (
        "import sys, warnings; warnings.simplefilter('error'); import search.backend, search.services\n"
        "for name, module in list(sys.modules.items()):\n"
        "    path = getattr(module, '__file__', None)\n"
        "    if name.startswith('whoosh') and path and path.endswith('.py'):\n"
        "        compile(open(path, encoding='utf-8').read(), path, 'exec')\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
