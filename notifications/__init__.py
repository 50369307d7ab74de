"""Members hear back: the notification centre, e-mail, digests and preferences.

It sits above every feature and hears them only through app.signals
(hooks.py); its work runs as jobs carried by the kernel's outbox.
"""
