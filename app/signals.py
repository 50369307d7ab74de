"""Events a lower feature raises for a higher one to hear.

Each signal is sent with the acting object as sender and ids as keywords,
so a listener can enqueue a job without holding on to session objects.
"""
from blinker import Namespace

kindling = Namespace()

user_registered = kindling.signal("user-registered")
roles_changed = kindling.signal("roles-changed")
