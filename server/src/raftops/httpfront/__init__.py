"""The HTTP front: an asyncio HTTP/1.1 server (h11) that runs WSGI applications in a bounded thread pool."""

from .limits import FrontLimits
from .server import HTTPFront, TLSFiles, server_ssl_context
from .wsgi import PEER_CERT

__all__ = ["PEER_CERT", "FrontLimits", "HTTPFront", "TLSFiles", "server_ssl_context"]
