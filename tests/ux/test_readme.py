"""The README tells a newcomer how to start, and `make run` installs only what running needs (issue 15, item 17)."""
import re
from pathlib import Path

from sqlalchemy import select

from app import demo
from app.auth.models import User
from app.extensions import db
from challenges.models import Challenge, ChallengeModerator

ROOT = Path(__file__).resolve().parents[2]


def test_readme_names_port_prerequisites_and_the_appointed_moderator():
    readme = (ROOT / "README.md").read_text()
    assert "make run PORT=" in readme and "Python 3.11" in readme and "**make**" in readme
    assert re.search(r"`noah` \| member, \*\*appointed moderator\*\* of “How might we cut food waste", readme)


def test_make_run_installs_only_the_runtime_dependencies():
    makefile = (ROOT / "Makefile").read_text()
    run = re.search(r"^run: (\S+)", makefile, re.M).group(1)
    recipe = re.search(rf"^{re.escape(run)}: pyproject.toml.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert re.search(r"pip install .*-e \.$", recipe, re.M) and "[test]" not in recipe
    test = re.search(r"^test: (\S+)", makefile, re.M).group(1)
    assert test != run and "[test]" in re.search(rf"^{re.escape(test)}: .*\n((?:\t.*\n)+)", makefile, re.M).group(1)


def test_the_demo_appoints_noah_to_the_food_waste_challenge(session):
    assert demo.seed_demo()
    row = db.session.execute(
        select(User.username, Challenge.title).join(ChallengeModerator, ChallengeModerator.user_id == User.id)
        .join(Challenge, Challenge.id == ChallengeModerator.challenge_id)).all()
    assert [(name, title) for name, title in row] == [
        ("noah", "How might we cut food waste in our neighbourhood markets?")]
