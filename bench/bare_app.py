"""The yardstick: a bare Flask + SQLAlchemy + Jinja page listing 20 of a challenge's ideas.

No extensions, no session, no forms, no login: the 20 most supported ideas
of challenge 1 with their authors (joined) and tags (one more query),
rendered in a small layout that shows what an idea card shows (title
linked with url_for, author, tags, supporters, comments). `bench.pages_ratio` serves it with
the same gunicorn settings as Kindling and divides the two throughputs.

    DATABASE_URL=sqlite:///… gunicorn -w 2 'bench.bare_app:create_app()'
"""
import os

from flask import Flask, render_template, url_for
from jinja2 import DictLoader
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="{{ url_for('static', filename='css/kindling.css') }}"></head>
<body>
<header><nav><a href="/">Kindling</a> <a href="/challenges">Challenges</a></nav></header>
<main>
<h1>{{ title }}</h1>
<ol class="idea-list">
{% for idea in ideas %}
  <li class="idea-card card">
    <h3><a href="{{ url_for('idea', idea_id=idea.id) }}">{{ idea.title }}</a></h3>
    <p class="muted">by {{ idea.author.display_name or idea.author.username }}</p>
    {% if idea.tags %}<ul class="tags">{% for tag in idea.tags %}<li><span class="tag">{{ tag.name }}</span></li>{% endfor %}</ul>{% endif %}
    <p>{{ '{:,}'.format(idea.supporter_count) }} supporter{{ '' if idea.supporter_count == 1 else 's' }}
       · {{ idea.comment_count }} comment{{ '' if idea.comment_count == 1 else 's' }}</p>
  </li>
{% endfor %}
</ol>
</main>
</body>
</html>
"""


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String)
    display_name: Mapped[str] = mapped_column(String)


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)


idea_tags = Table("idea_tags", Base.metadata, Column("idea_id", ForeignKey("ideas.id"), primary_key=True),
                  Column("tag_id", ForeignKey("tags.id"), primary_key=True))


class Idea(Base):
    __tablename__ = "ideas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String)
    is_public: Mapped[bool] = mapped_column(Boolean)
    supporter_count: Mapped[int] = mapped_column(Integer)
    comment_count: Mapped[int] = mapped_column(Integer)
    author: Mapped[User] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=idea_tags, order_by=Tag.name)


def create_app():
    from app import ROOT

    app = Flask(__name__, static_folder=str(ROOT / "app" / "static"))
    app.jinja_loader = DictLoader({"ideas.html": PAGE})  # compiled once, as a file template would be
    engine = create_engine(os.environ["DATABASE_URL"])

    @app.get("/ideas")
    def ideas():
        with Session(engine) as session:
            rows = session.scalars(
                select(Idea).options(selectinload(Idea.tags)).where(Idea.challenge_id == 1, Idea.is_public.is_(True))
                .order_by(Idea.supporter_count.desc(), Idea.id.desc()).limit(20)
            ).all()
            return render_template("ideas.html", title="How might we make our city greener?", ideas=rows)

    @app.get("/ideas/<int:idea_id>")
    def idea(idea_id):
        return url_for("ideas")

    return app
