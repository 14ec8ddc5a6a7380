"""Sample exports of a fictional French retailer, seeded, with ground truth (`cdp generate`).

``generate`` is imported on first use: the generator pulls in its name lists and writers
(~1 s), which every ``cdp`` command would otherwise pay at start, since the CLI imports
``sample_data.cli`` to mount ``cdp generate``.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sample_data.generate import generate

__all__ = ["generate"]


class _Package(ModuleType):
    """This package, keeping ``sample_data.generate`` the function: importing the submodule
    of the same name (``sample_data/generate.py``) binds the package's attribute to the
    module, whoever imports it first."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "generate" and isinstance(value, ModuleType):
            value = value.generate
        super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    if name == "generate":
        from sample_data.generate import generate

        return generate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
