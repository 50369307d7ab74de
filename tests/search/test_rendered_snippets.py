"""Search snippets come from the rendered text, never raw Markdown (issue 15, item 12)."""
import re

from search import jobs as search_jobs
from tests.factories import IdeaFactory
from tests.search.conftest import commit


def test_search_snippets_show_rendered_text(client, session):
    idea = IdeaFactory(title="Garden beds for the school", description="Raised **garden** beds with _herbs_ and "
                       "[a guide](https://example.org/guide).")
    commit()
    search_jobs.index_idea(idea.id)
    page = client.get("/search?q=garden").get_data(as_text=True)
    snippet_html = re.search(r'<p class="search-snippet">(.*?)</p>', page, re.S).group(1)
    assert "**" not in snippet_html and "_herbs_" not in snippet_html and "](https" not in snippet_html
    assert "<mark>garden</mark> beds with herbs and a guide" in snippet_html
