"""Serve and show: the REST API and the web dashboard, on the warehouse and registry the CLI uses.

``nomagic serve [--host --port]`` starts both (docs/serve.md). :func:`create_app` builds the ASGI app;
:mod:`.keys` manages API keys; :mod:`.demo` prepares a small simulated world to try it on.
"""

from nomagic.serve.app import ServeConfig, create_app, run

__all__ = ["ServeConfig", "create_app", "run"]
