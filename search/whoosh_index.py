"""The whoosh index on disk: its generations, the one writer, writes and rebuilds.

SEARCH_INDEX_DIR holds generations of the index and a symlink `current`
naming the live one. A rebuild writes a new generation while searches keep
reading the old one, then swaps the symlink atomically; a rebuild that dies
or is killed leaves the live index as it was. Writes take an exclusive file
lock, so there is one writer at a time across threads and processes and
whoosh never raises LockError.
"""
import fcntl
import os
import shutil
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from whoosh import index
from whoosh.codec import whoosh3
from whoosh.writing import SegmentWriter

from search.engine import IndexUnavailable

# Two costs whoosh pays per posting while it writes a segment, each found by
# profiling a rebuild (bench/README.md, "Search (random words…)").


def _cache_missing_length_columns():
    """whoosh looks for a field-length column on disk (a stat call) for every posting of a field that
    has none (ids, keywords, numbers), on each merge and commit: 7 stat calls per document, two thirds
    of a rebuild's time. Remember that the column is missing, as whoosh remembers those it finds."""
    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "_kindling", False):
        return

    def _cached_reader(self, fieldname, column):
        missing = self.__dict__.setdefault("_kindling_missing", set())
        if fieldname in missing:
            return None
        reader = original(self, fieldname, column)
        if reader is None:
            missing.add(fieldname)
        return reader

    _cached_reader._kindling = True
    whoosh3.W3PerDocReader._cached_reader = _cached_reader


class _WrittenLengths:
    """The per-document reader a writer reads back to store each posting's field length, with
    every field's lengths decoded once. whoosh asks for them one posting at a time (a column
    lookup and a byte decoding each: 12 % of a rebuild's CPU on 15,000 ideas). Lengths of 0
    stay None, as whoosh gives them; everything else goes to the reader."""

    def __init__(self, reader):
        self._reader = reader
        self._lengths = {}

    def __getattr__(self, name):
        return getattr(self._reader, name)

    def _decoded(self, fieldname):
        column = self._reader._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        if column is None:
            return None
        return [whoosh3.byte_to_length(b) if b else None for b in column]

    def doc_field_length(self, docnum, fieldname, default=0):
        try:
            lengths = self._lengths[fieldname]
        except KeyError:
            lengths = self._lengths[fieldname] = self._decoded(fieldname)
        return default if lengths is None else lengths[docnum]


def _decode_lengths_once():
    """Only writers get the decoded lengths (searchers read a few lengths of many segments)."""
    original = SegmentWriter.per_document_reader
    if getattr(original, "_kindling", False):
        return

    def per_document_reader(self):
        return _WrittenLengths(original(self))

    per_document_reader._kindling = True
    per_document_reader.original = original
    SegmentWriter.per_document_reader = per_document_reader


_cache_missing_length_columns()
_decode_lengths_once()


def _epoch(moment):
    return int(moment.timestamp()) if moment else 0


class IndexDirectory:
    """SEARCH_INDEX_DIR: the live generation, the write lock, writes and rebuilds.
    Needs `root` (a Path) and `schema`."""

    CURRENT = "current"
    LOCK = "write.lock"
    MARKER = "rebuilding"
    REPLAY = "rebuild.log"
    STALE_MARKER = 3600  # seconds: a rebuild that died long ago no longer counts

    def _current_dir(self):
        link = self.root / self.CURRENT
        target = os.path.realpath(link)
        if not os.path.isdir(target):
            raise IndexUnavailable(f"no index at {link}")
        return target

    @contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / self.LOCK, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _fields(self, document):
        return {
            "key": document.key,
            "kind": document.kind,
            "pk": document.pk,
            "title": document.title or "",
            "body": "\n".join((document.title or "", document.body or "", ", ".join(document.tags))),
            "tags": ",".join(document.tags),
            "tagset": [t.encode() for t in document.tags],
            "status": document.status,
            "challenge": str(document.challenge_id or ""),
            "public": "1" if document.public else "0",
            "supporters": document.supporters or 0,
            "published": _epoch(document.published),
        }

    def rebuilding(self):
        """Whether a rebuild is under way (its process alive, and not started hours ago)."""
        marker = self.root / self.MARKER
        try:
            if time.time() - marker.stat().st_mtime > self.STALE_MARKER:
                return False
            pid = int(marker.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False  # the rebuild died; a new one may start
        except PermissionError:
            pass
        return True

    @contextmanager
    def writer(self):
        with self._lock():
            ix = index.open_dir(self._current_dir(), schema=self.schema)
            batch = _Batch(ix.writer(), self._fields)
            try:
                yield batch
                batch.writer.commit()
            except BaseException:
                with suppress(Exception):  # closes its files, even after a commit that failed half-way
                    batch.writer.cancel()
                raise
            if batch.touched and self.rebuilding():
                with open(self.root / self.REPLAY, "a") as log:
                    log.writelines(f"{key}\n" for key in batch.touched)

    def rebuild(self, documents, reload, progress=None, procs=1, limitmb=768):
        """`procs` > 1 analyses documents in that many processes (whoosh's MpWriter), each writing
        a segment of its own; the segments are kept as they are (merging them would cost as much
        again) and later incremental writes merge small segments as usual. `limitmb` is the memory
        of each process for postings before whoosh spills them to disk and merges them back."""
        with self._lock():
            (self.root / self.MARKER).write_text(str(os.getpid()))
            (self.root / self.REPLAY).write_text("")
            previous = self._live_generation()
        generation, writer = self.root / f"gen-{time.time_ns()}", None
        try:
            generation.mkdir(parents=True)
            ix = index.create_in(generation, self.schema)
            if procs > 1:
                writer = ix.writer(procs=procs, limitmb=limitmb, multisegment=True, batchsize=256)
            else:
                writer = ix.writer(limitmb=limitmb)
            for document in documents:
                writer.add_document(**self._fields(document))
                if progress:
                    progress(1)
            writer.commit(optimize=procs == 1)  # if this fails, the except below cancels it: its files close
            writer = None
            with self._lock():
                replay = set((self.root / self.REPLAY).read_text().split())
                if replay:
                    writer = ix.writer()
                    batch = _Batch(writer, self._fields)
                    batch.delete(replay)
                    batch.update(reload(sorted(replay)))
                    writer.commit()
                    writer = None
                self._switch(generation)
                (self.root / self.MARKER).unlink(missing_ok=True)
                (self.root / self.REPLAY).unlink(missing_ok=True)
        except BaseException:
            # The live index was never touched: only this unfinished generation goes.
            if writer is not None:
                with suppress(Exception):  # a commit that failed half-way may have closed part of it already
                    writer.cancel()  # closes its files (and stops its processes)
            shutil.rmtree(generation, ignore_errors=True)
            (self.root / self.MARKER).unlink(missing_ok=True)
            raise
        self._prune(keep={generation, previous})
        return generation

    def _live_generation(self):
        link = self.root / self.CURRENT
        return Path(os.path.realpath(link)) if link.is_symlink() else None

    def _switch(self, generation):
        staging = self.root / f"{self.CURRENT}.{os.getpid()}.tmp"
        staging.unlink(missing_ok=True)
        staging.symlink_to(generation.name)
        os.replace(staging, self.root / self.CURRENT)  # rename(2): readers see old or new, never neither

    def _prune(self, keep):
        """Delete generations older than the new one, except the one it replaced (searchers
        may still read it). What a killed rebuild left goes too; a newer directory may be
        another rebuild at work, and stays."""
        newest = max(p.name for p in keep if p is not None)
        for old in self.root.glob("gen-*"):
            if old not in keep and old.name < newest:
                shutil.rmtree(old, ignore_errors=True)


class _Batch:
    def __init__(self, writer, to_fields):
        self.writer = writer
        self._to_fields = to_fields
        self.touched = set()

    def update(self, documents):
        for document in documents:
            self.writer.update_document(**self._to_fields(document))
            self.touched.add(document.key)

    def delete(self, keys):
        for key in keys:
            self.writer.delete_by_term("key", key)
            self.touched.add(key)

