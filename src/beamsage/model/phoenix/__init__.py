"""Phoenix as source declares it: routers, endpoints and what they plug."""

from .router import Endpoint, Router, endpoint_of, router_of

__all__ = ["Endpoint", "Router", "endpoint_of", "router_of"]
