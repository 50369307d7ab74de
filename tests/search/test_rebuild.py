"""Full rebuilds: equal to incremental indexing, atomic, and the way back from a lost index."""
import os
import shutil
import threading
import time
from pathlib import Path

from app.extensions import db
from challenges.services import challenges as challenge_phases
from challenges.services import comments as challenge_comments
from challenges.services import ideas as challenge_ideas
from challenges.services import listings as challenge_listings
from search import backend as backend_module
from search import jobs as search_jobs
from search import services
from search.backend import Document, WhooshBackend
from tests.factories import ChallengeFactory, UserFactory
from tests.search.conftest import commit, search, titles


def snapshot():
    """The whole index as comparable data: every (field, term) -> keys, and the sort columns."""
    searcher = services.backend()._searcher()
    reader = searcher.reader()
    key_of = {n: fields["key"] for n, fields in reader.iter_docs()}
    postings = {}
    for fieldname in ("title", "body", "tags", "kind", "status", "challenge", "public"):
        for term in reader.lexicon(fieldname):
            docs = reader.postings(fieldname, term).all_ids()
            postings[(fieldname, term)] = sorted(key_of[d] for d in docs if d in key_of)
    columns = {}
    for name in ("supporters", "published"):
        column = reader.column_reader(name)
        columns[name] = sorted((key_of[n], column[n]) for n in key_of)
    return {k: v for k, v in postings.items() if v}, columns


def build_through_services():
    owner, member = UserFactory(), UserFactory()
    challenge = ChallengeFactory(owner=owner, phase="draft", published_at=None,
                                 title="Cooler streets in summer", summary="Heat waves hit the old town hard.")
    commit()
    challenge_phases.publish_challenge(owner, challenge)
    commit()
    ideas = []
    for title, description in [
        ("Misting fountains in the squares", "Cool the air where people wait for the bus."),
        ("Plant plane trees along the boulevard", "Shade for pedestrians and fewer hot asphalt surfaces."),
        ("Paint the roofs white", "Reflect the sun and lower the temperature of the top floors."),
    ]:
        ideas.append(challenge_ideas.submit_idea(member, challenge, title=title, description=description,
                                                 tags=["heat", "streets"], accept_norms=True))
        commit()
    challenge_ideas.edit_idea(member, challenge_listings.get_idea(ideas[0].id),
                              title="Misting fountains in every square",
                              description="Cool the air where people wait for the bus, all summer.", tags=["heat"])
    challenge_comments.post_comment(UserFactory(), ideas[1], challenge, "Plane trees drop a lot of leaves.",
                                    accept_norms=True)
    challenge_ideas.set_idea_status(ideas[2], "hidden")
    commit()
    return challenge


def test_a_rebuild_equals_incremental_indexing(session):
    build_through_services()
    incremental = snapshot()
    assert incremental[0], "the services indexed nothing"
    services.rebuild()
    assert snapshot() == incremental


def test_the_cli_rebuilds_with_a_progress_bar(app, session, search_index):
    build_through_services()
    before = os.path.realpath(search_index / "current")
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexing" in result.output and "Indexed 5 documents" in result.output
    assert os.path.realpath(search_index / "current") != before
    assert titles(search(None, "fountains")) == ["Misting fountains in every square"]


def test_a_missing_index_is_rebuilt_and_the_page_says_so(client, session, search_index):
    build_through_services()
    shutil.rmtree(search_index)
    response = client.get("/search?q=fountains")
    assert response.status_code == 200
    assert "Search is being rebuilt" in response.get_data(as_text=True)
    # The rebuild job ran after the response (inline: no Redis in this test).
    assert "Misting <mark>fountains</mark>" in client.get("/search?q=fountains").get_data(as_text=True)


def test_an_unreadable_index_is_rebuilt(client, session, search_index):
    build_through_services()
    assert search(None, "fountains").total == 1
    for toc in Path(os.path.realpath(search_index / "current")).glob("*.toc"):
        # (Deleted rather than garbled: whoosh leaks the file handle of a garbled TOC.)
        toc.unlink()
    backend_module._backends.clear()  # as a freshly started process would open it
    response = client.get("/search?q=fountains")
    assert response.status_code == 200 and "being rebuilt" in response.get_data(as_text=True)
    assert search(None, "fountains").total == 1


def test_similar_ideas_stay_quiet_while_the_index_is_missing(client, session, search_index):
    challenge = build_through_services()
    shutil.rmtree(search_index)
    response = client.get(f"/challenges/{challenge.slug}/similar-ideas?title=fountains",
                          headers={"HX-Request": "true", "HX-Target": "similar-ideas-list"})
    assert response.status_code == 200
    assert services.backend().available()  # and a rebuild was sent


def test_search_answers_from_the_old_index_during_a_rebuild_and_keeps_writes(session):
    challenge = build_through_services()
    engine = services.backend()
    idea = challenge_ideas.submit_idea(UserFactory(), challenge, title="Water fountains with cold water",
                                       description="Drinking fountains in each park, checked daily.", accept_norms=True)
    db.session.flush()
    seen_during = []

    def documents():
        for n, document in enumerate(services.all_documents()):
            if n == 1:
                # Mid-rebuild: readers still use the old index, and a write lands there.
                seen_during.append(titles(search(None, "fountains")))
                commit()
            yield document

    engine.rebuild(documents(), services.documents_for)
    assert seen_during == [["Misting fountains in every square"]]
    # The write made during the rebuild was replayed onto the new index.
    assert sorted(titles(search(None, "fountains"))) == ["Misting fountains in every square",
                                                         "Water fountains with cold water"]
    assert idea.id


def test_old_generations_are_pruned(session, search_index):
    for _ in range(4):
        services.rebuild()
    assert len(list(search_index.glob("gen-*"))) == 2


def test_concurrent_writers_wait_for_each_other(tmp_path):
    engine = WhooshBackend(tmp_path / "ix")
    engine.rebuild(iter([]), lambda keys: [])
    errors = []

    def write(worker):
        try:
            for n in range(5):
                with engine.writer() as writer:
                    writer.update([Document("idea", worker * 100 + n, f"Kettle {worker} {n}", "tea", "published",
                                            1, True)])
        except Exception as error:  # a LockError would land here
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    from search.backend import SearchRequest

    assert engine.search(SearchRequest("kettle", limit=50)).total == 20


def test_ensure_index_does_nothing_when_the_index_is_fine(session, search_index):
    before = os.path.realpath(search_index / "current")
    search_jobs.ensure_index()
    assert os.path.realpath(search_index / "current") == before


def test_ensure_index_leaves_a_running_rebuild_alone(session, search_index):
    shutil.rmtree(search_index)
    search_index.mkdir()
    (search_index / "rebuilding").write_text(str(os.getpid()))  # a live process is rebuilding
    search_jobs.ensure_index()
    assert not services.backend().available()
    (search_index / "rebuilding").write_text("999999999")  # that process died
    search_jobs.ensure_index()
    assert services.backend().available()


def test_an_interrupted_rebuild_leaves_the_last_good_index(session, search_index):
    build_through_services()
    live = os.path.realpath(search_index / "current")

    def documents():
        yield from list(services.all_documents())[:2]
        raise KeyboardInterrupt  # Ctrl-C, or the job's worker stopping

    import pytest

    with pytest.raises(KeyboardInterrupt):
        services.backend().rebuild(documents(), services.documents_for)
    assert os.path.realpath(search_index / "current") == live
    assert titles(search(None, "fountains")) == ["Misting fountains in every square"]
    assert sorted(p.name for p in search_index.glob("gen-*")) == [Path(live).name]


def test_a_killed_rebuild_never_replaces_or_deletes_the_last_good_index(session, search_index):
    build_through_services()
    live = Path(os.path.realpath(search_index / "current"))
    # What `kill -9` leaves mid-rebuild: a half-written generation and the marker of a dead process.
    half = search_index / f"gen-{time.time_ns()}"
    half.mkdir()
    (half / "MAIN_x.seg").write_text("half written")
    (search_index / "rebuilding").write_text("999999999")
    backend_module._backends.clear()
    assert titles(search(None, "fountains")) == ["Misting fountains in every square"]
    assert not services.backend().rebuilding()
    # The next rebuild replaces the live index only when complete, and clears the leftovers.
    generation = services.rebuild()
    assert Path(os.path.realpath(search_index / "current")) == generation
    assert not half.exists() and live.exists()  # the replaced index stays for searchers still reading it
    assert titles(search(None, "fountains")) == ["Misting fountains in every square"]


def test_a_rebuild_in_several_processes_equals_one_in_one(session):
    build_through_services()
    services.rebuild(procs=1)
    single = snapshot()
    services.rebuild(procs=2)
    assert snapshot() == single


def test_threads_that_find_the_index_missing_together_rebuild_it_once(app, session, search_index):
    """Inline jobs after a burst of writes all ask at once; two rebuilds would prune each other's work."""
    build_through_services()
    shutil.rmtree(search_index)
    search_index.mkdir()
    start, errors = threading.Barrier(6), []

    def ask():
        try:
            with app.app_context():
                start.wait()
                search_jobs.ensure_index()
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert services.backend().available()
    assert len(list(search_index.glob("gen-*"))) == 1
    assert titles(search(None, "fountains")) == ["Misting fountains in every square"]


def ranking_data():
    """What ranking reads: each term's length bounds (they let the top-N skip blocks) and BM25 scores."""
    from whoosh.query import Term

    searcher = services.backend()._searcher()
    reader = searcher.reader()
    bounds, scores = {}, {}
    for fieldname in ("title", "body"):
        for term in reader.lexicon(fieldname):
            info = reader.term_info(fieldname, term)
            bounds[(fieldname, term)] = (info.min_length(), info.max_length(), info.max_weight())
            hits = searcher.search(Term(fieldname, term.decode()), limit=None)
            scores[(fieldname, term)] = sorted((hit["key"], round(hit.score, 9)) for hit in hits)
    return bounds, scores


def test_the_lengths_a_rebuild_decodes_once_are_whooshs_own(session, monkeypatch):
    from whoosh.writing import SegmentWriter

    build_through_services()
    services.rebuild(procs=1)
    decoded_once = ranking_data()
    assert decoded_once[0]  # the index holds terms to compare
    monkeypatch.setattr(SegmentWriter, "per_document_reader", SegmentWriter.per_document_reader.original)
    services.rebuild(procs=1)
    assert ranking_data() == decoded_once
