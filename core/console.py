"""What the terminal shows: quiet logging by default, progress on long steps.

Libraries the platform drives (Great Expectations, dbt, Airflow, Splink) log hundreds of INFO
lines per run; a user sees the platform's own messages unless they ask for ``--verbose``.
Progress goes to stderr, so ``cdp ... > file`` keeps only the result on stdout.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

OWN_LOGGERS = (
    "cdp",
    "core",
    "sample_data",
    "ingestion",
    "identity",
    "profiles",
    "activation",
    "privacy",
    "expectations",
    "bench",
)
NOISY_LOGGERS = (
    "great_expectations",
    "dbt",
    "airflow",
    "splink",
    "cosmos",
    "alembic",
    "sqlalchemy",
    "py4j",
    "urllib3",
    "httpx",
    "asyncio",
    "fsspec",
    "matplotlib",
    "numexpr",
    "pyspark",
)


def quiet_libraries(verbose: bool = False) -> None:
    """Library loggers at WARNING (INFO with ``verbose``); safe to call before importing them."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    if not verbose:
        # Great Expectations imports pyspark when the `spark` extra is installed, and pyspark
        # warns about pandas 3 on import; the platform hands Spark no pandas frames.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")


def configure_logging(verbose: bool = False) -> None:
    """The CLI's logging: warnings and errors printed; ``verbose`` prints the platform's
    INFO/DEBUG and the libraries' INFO too."""
    import sys

    from rich.console import Console
    from rich.logging import RichHandler

    handler: logging.Handler
    if sys.stderr.isatty():
        handler = RichHandler(
            console=Console(stderr=True),
            show_path=verbose,
            show_time=verbose,
            rich_tracebacks=verbose,
        )
    else:
        # A log file or a scheduler reads stderr: one line per message, level named, never
        # wrapped to a terminal's width.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # The platform's INFO messages still reach the progress line (progress_step); printed
    # lines are warnings and errors unless --verbose.
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(name)s: %(message)s" if verbose else "%(message)s",
        handlers=[handler],
        force=True,
    )
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    quiet_libraries(verbose)


class _ProgressRelay(logging.Handler):
    """Shows the platform's latest INFO message as the description of a running step."""

    def __init__(self, progress, task_id, title: str):
        super().__init__(logging.INFO)
        self.progress, self.task_id, self.title = progress, task_id, title

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().splitlines()[0] if record.getMessage() else ""
        self.progress.update(self.task_id, description=f"{self.title}: {message[:70]}")


@contextmanager
def progress_step(title: str, console=None) -> Iterator[None]:
    """A spinner with elapsed time while a long step runs (stderr, terminals only).

    The step's own INFO messages update the line, so the user sees where it is.
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task_id = progress.add_task(title, total=None)
        relay = _ProgressRelay(progress, task_id, title)
        own = [logging.getLogger(name) for name in OWN_LOGGERS]
        levels = [logger.level for logger in own]
        for logger in own:
            logger.addHandler(relay)
            if logger.getEffectiveLevel() > logging.INFO:
                logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            for logger, level in zip(own, levels, strict=True):
                logger.removeHandler(relay)
                logger.setLevel(level)
    console.print(f"[green]✓[/green] {title}")
