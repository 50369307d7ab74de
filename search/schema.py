"""What the search index holds, and how text becomes terms.

The index keeps ids and the fields needed to match, filter, count and
sort; the text shown to people is read from SQL at query time, so a
result is always current and passes app.permissions before it is shown.
"""
from whoosh import columns, fields
from whoosh.analysis import CharsetFilter, StandardAnalyzer, StemmingAnalyzer
from whoosh.support.charset import accent_map

KINDS = ("idea", "challenge", "comment")

# Lower case, accents folded ("énergie" and "energie" are one term),
# English stemming; the same analyzer reads queries, so both sides agree.
ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)
# The same terms, for writing the index: its stems are remembered in a plain dict
# (words of the corpus only) instead of whoosh's least-frequently-used cache, whose
# bookkeeping cost 6 % of a rebuild. Queries keep the bounded cache above: what
# people type in a long-lived web process must not grow it without end.
INDEX_ANALYZER = StemmingAnalyzer(cachesize=-1) | CharsetFilter(accent_map)
# The same without stemming, for title words: they rank (a title holding the typed
# word itself scores higher) and they are the words "did you mean" offers.
WORDS = StandardAnalyzer() | CharsetFilter(accent_map)


def make_schema():
    return fields.Schema(
        key=fields.ID(unique=True, stored=True),  # "idea:42"
        kind=fields.ID(stored=True, sortable=True),
        pk=fields.STORED(),  # read back from hits; never searched
        # Title words, unstemmed: they add to the score, and spelling suggestions come
        # from them. Unstemmed, the field is its own spelling dictionary: a stemmed title
        # would need a second, unstemmed copy of every title (a third of a rebuild's time).
        title=fields.TEXT(analyzer=WORDS, field_boost=3.0, spelling=True, phrase=False),
        body=fields.TEXT(analyzer=INDEX_ANALYZER),  # indexed with the title and tags too: queries match here
        tags=fields.KEYWORD(commas=True, lowercase=True),  # the tag filter; tag words are matched in `body`
        # The same tags as a per-document list: counting a facet reads it only for
        # matching documents (facets on `tags` itself walk every posting of every tag).
        tagset=fields.COLUMN(columns.VarBytesListColumn()),
        status=fields.ID(sortable=True),
        challenge=fields.ID(sortable=True),
        # "1" when every visitor may see it; moderators may search the rest.
        public=fields.ID(),
        # Sort keys only, so columns without terms: a NUMERIC field would index 8 to 16
        # range terms per document, which no query here uses.
        supporters=fields.COLUMN(columns.NumericColumn("i")),
        published=fields.COLUMN(columns.NumericColumn("q")),  # epoch seconds
    )


def document_key(kind, pk):
    return f"{kind}:{pk}"
