"""Demo challenges in every phase, ideas that build on each other, comment threads."""
from datetime import timedelta

from app import clock
from challenges.services import challenges as challenge_phases
from challenges.services import comments
from challenges.services import ideas as challenge_ideas

NORMS = """- Be kind and assume good intent.
- Build on other people's ideas rather than repeating them.
- No advertising; credit your sources.
"""

CHALLENGES = [
    {
        "key": "waste",
        "owner": "olivia",
        "title": "How might we cut food waste in our neighbourhood markets?",
        "summary": "Stallholders throw away good produce every evening. Help us get it to people instead.",
        "problem": "Every evening our four covered markets throw away **about 300 kg** of edible fruit and "
                   "vegetables.\n\nWe are looking for ideas that:\n\n- work with the stallholders' closing routine,\n"
                   "- cost little to run,\n- reach people who need food most.",
        "tags": ["food", "cities", "circular economy"],
        "is_open": True,
        "days": (-20, None, 25, 40),
        "phase": "submission",
    },
    {
        "key": "energy",
        "owner": "olivia",
        "title": "How might tenants save energy in older apartment buildings?",
        "summary": "Old buildings leak heat. What can tenants do together, without waiting for a renovation?",
        "problem": "Half of our city's housing was built before 1975. Tenants pay high heating bills but cannot "
                   "renovate. Ideas for **collective, low-cost** actions are welcome — énergie, chauffage, isolation.",
        "tags": ["energy", "housing"],
        "is_open": False,
        "days": (-40, -5, 20, 35),
        "phase": "voting",
    },
    {
        "key": "mobility",
        "owner": "mia",
        "title": "How might we make school runs safer on foot and by bike?",
        "summary": "Parents drive because streets feel unsafe. Let's change that together.",
        "problem": "Around schools, traffic at 8:20 is the main reason parents give for driving their children.",
        "tags": ["mobility", "education"],
        "is_open": False,
        "days": (-90, -60, -30, -10),
        "phase": "results",
    },
]

IDEAS = {
    "waste": [
        ("noah", "Evening surplus boxes collected by volunteers",
         "At closing time volunteers collect crates of unsold produce and pack them into boxes for the "
         "food bank down the road. A shared calendar shows which stall gives what.", ["volunteering", "logistics"]),
        ("lea", "Une application pour signaler les invendus du soir",
         "Les commerçants signalent en deux clics leurs invendus; les associations voisines reçoivent une "
         "alerte et viennent les chercher avant la fermeture.", ["app", "associations"]),
        ("mia", "A community fridge at each market entrance",
         "A refrigerated cabinet, cleaned daily by a rota, where stallholders leave produce and anyone can "
         "take it. Hygiene rules printed on the door.", ["fridge"]),
    ],
    "energy": [
        ("mia", "Draught-proofing parties for each stairwell",
         "Neighbours meet on a Saturday with a box of seals and tape; one trained volunteer shows how to "
         "draught-proof windows and doors. Snacks included.", ["diy", "community"]),
        ("noah", "Shared thermometers and a monthly heating report",
         "Each floor gets a cheap connected thermometer; a monthly report compares rooms and shows where "
         "heat escapes, so the building can ask the landlord for targeted repairs.", ["data"]),
    ],
    "mobility": [
        ("lea", "Walking buses with volunteer parents",
         "Groups of children walk to school along fixed routes with two adults, picking children up at "
         "stops like a bus. A rota keeps the load light.", ["walking"]),
        ("noah", "School streets closed to cars at 8:00–8:30",
         "The street in front of each school closes to cars for half an hour every morning, as many "
         "cities already do. Residents keep access.", ["streets"]),
    ],
}


def _days(n):
    return clock.now() + timedelta(days=n) if n is not None else None


def seed_demo(members):
    created = {}
    for spec in CHALLENGES:
        submission, voting, review, results = spec["days"]
        challenge = challenge_phases.create_challenge(
            members[spec["owner"]],
            title=spec["title"],
            summary=spec["summary"],
            problem=spec["problem"],
            norms=NORMS,
            format="challenge",
            is_open=spec["is_open"],
            moderation_policy="post",
            tags=spec["tags"],
            schedule=challenge_phases.Schedule(
                submission_at=_days(submission), voting_at=_days(voting), review_at=_days(review),
                results_at=_days(results),
            ),
        )
        # Ideas arrive while the challenge takes them, then the phase moves on.
        challenge.phase = "submission"
        challenge.published_at = _days(submission)
        ideas = []
        for username, title, description, tags in IDEAS[spec["key"]]:
            ideas.append(challenge_ideas.submit_idea(
                members[username], challenge, title=title, description=description, tags=tags, accept_norms=True,
                builds_on_id=ideas[0].id if len(ideas) == 2 else None,
            ))
        first = ideas[0]
        opener = comments.post_comment(members["mia" if first.author_id != members["mia"].id else "noah"], first,
                                       challenge, "Love this. Who would coordinate the rota?", accept_norms=True)
        reply = comments.post_comment(members[_author_name(members, first)], first, challenge,
                                      "A volunteer per market, rotating **monthly**.", opener.id)
        comments.post_comment(members["lea"], first, challenge, "Je peux aider le samedi !", reply.id,
                              accept_norms=True)
        if spec["phase"] != "submission":
            challenge_phases.move_phase(members[spec["owner"]], challenge, spec["phase"])
        if spec["phase"] == "results":
            challenge_ideas.review_idea(members[spec["owner"]], ideas[1], challenge, "selected",
                                        "The school board agreed to trial this at two schools from March.")
            challenge_ideas.review_idea(members[spec["owner"]], ideas[0], challenge, "shortlisted",
                                        "A great complement; we look for parent volunteers first.")
        created[spec["key"]] = challenge

    draft = challenge_phases.create_challenge(
        members["olivia"], title="How might we welcome newcomers to the neighbourhood?",
        summary="A draft only its owner sees.", problem="Still being written.", norms=NORMS, format="holdup",
        is_open=False, moderation_policy="pre_new", tags=["community"],
        schedule=challenge_phases.Schedule(submission_at=_days(10), voting_at=_days(20), review_at=_days(30),
                                           results_at=_days(40)),
    )
    created["draft"] = draft
    return created


def _author_name(members, idea):
    return next(name for name, user in members.items() if user.id == idea.author_id)
