"""One loader for the project's YAML configuration files, and one way to report their errors.

Every configuration file (identity, sources, exports, quality, feedback, orchestration, API
keys) is read by :func:`load_yaml_model`: YAML into a pydantic model. Whatever goes wrong, the
error is a :class:`ConfigError` (each stage subclasses it, e.g. ``IdentityConfigError``) whose
message names the file, the field path and what to do::

    config/identity.yml: match_threshold: Input should be less than or equal to 1.
    Fix the file and re-run (see config/identity.yml in the repository).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from pathlib import Path

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config file is missing, not YAML or invalid; the message says where and what to do."""


def _field(loc: tuple[Any, ...], prefix: str = "") -> str:
    """A pydantic location as a dotted path into the file (``prefix`` says where ``loc`` starts)."""
    return prefix + ".".join(str(part) for part in loc) or "(top level)"


def describe(error: ValidationError, prefix: str = "") -> str:
    """Every problem of ``error`` as ``field.path: message``, joined by ``; ``."""
    return "; ".join(f"{_field(item['loc'], prefix)}: {item['msg']}" for item in error.errors())


# libyaml's parser (PyYAML's C binding, when built with it) reads the six source definitions
# in 0.02 s where the pure-Python one takes 0.13 s, at every `ingest`; same constructor, same
# data (every YAML file of the repository compared). Its errors lack the quoted line, so a
# file it refuses is parsed again by the pure-Python parser, whose message is the one shown.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _parse(text: str) -> Any:
    if _FAST_LOADER is not None:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)  # a safe loader: no Python objects
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def read_yaml_mapping(
    path: Path,
    *,
    hint: str = "",
    missing: str | None = None,
    error: type[ConfigError] = ConfigError,
) -> dict[str, Any] | None:
    """The mapping at the top of ``path``; None when the file is missing and ``missing`` is None.

    ``missing`` is the advice given when the file must exist (e.g. "set CDP_CONFIG_DIR").
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing is None:
            return None
        raise error(f"{path}: file not found; {missing}") from None
    except OSError as failure:
        raise error(f"{path}: cannot read the file: {failure}") from failure
    try:
        data = _parse(text)
    except yaml.YAMLError as failure:
        raise error(f"{path}: not valid YAML: {failure}. {_advice(hint)}") from failure
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of settings at the top level. {_advice(hint)}")
    return data


def validate_model(
    path: Path,
    data: Any,
    model: type[M],
    *,
    hint: str = "",
    prefix: str = "",
    error: type[ConfigError] = ConfigError,
) -> M:
    """``data`` (read from ``path``) as ``model``; a failure names the file and the field path."""
    try:
        return model.model_validate(data)
    except ValidationError as failure:
        raise error(f"{path}: {describe(failure, prefix)}. {_advice(hint)}") from failure


def load_yaml_model(
    path: Path,
    model: type[M],
    *,
    hint: str = "",
    missing: str | None = None,
    error: type[ConfigError] = ConfigError,
) -> M:
    """Read ``path`` and validate it as ``model``.

    A missing file gives the model's defaults, unless ``missing`` says what to do about it
    (then it is an error). ``hint`` completes "Fix the file and re-run" (e.g. where an example
    lives); ``error`` is the stage's subclass of :class:`ConfigError`.
    """
    data = read_yaml_mapping(path, hint=hint, missing=missing, error=error)
    return validate_model(path, data or {}, model, hint=hint, error=error)


def _advice(hint: str) -> str:
    return f"Fix the file and re-run ({hint})." if hint else "Fix the file and re-run."
