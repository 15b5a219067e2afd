"""nomagic: marketing AI without the magic.

The small public API; everything else is reachable through the subpackages.
"""

from importlib.metadata import PackageNotFoundError, version

import nomagic.privacy.pii  # noqa: F401  (installs the free-text masker into every load)
from nomagic.errors import NomagicError
from nomagic.warehouse import Warehouse, connect, load

try:
    __version__ = version("nomagic")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["NomagicError", "Warehouse", "connect", "load", "__version__"]
