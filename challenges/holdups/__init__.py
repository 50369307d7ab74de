"""Hold-ups: the live facilitated workshop, a format of challenge.

A hold-up is a challenge of format "holdup" with a row of details
(`Holdup`), an agenda, registrations with a waitlist, a live board
(questions, notes, clusters, dots, actions) and a report.
"""
