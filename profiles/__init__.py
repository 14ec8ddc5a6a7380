"""The 360° profiles: the marts dbt builds from the resolved identities, and what runs first.

`build.py` runs `dbt build` on `dbt_project/` in-process (`dbt_docs.py`: its docs site), then
publishes the readers' snapshot (`core.snapshot`); `consent.py` extracts the marketing-consent
signals of the raw layer into `consent.signals`, from which dbt decides the consent in force
(`marts.customer_consent`).
Exports and audiences live in `activation/`, forget and access in `privacy/`.
"""


def extract_consent_signals(settings):
    """Rebuild consent.signals from the raw layer (dbt decides what is in force from it)."""
    from profiles.build import extract_consent_signals as _extract

    return _extract(settings)


def build_profiles(settings, select=None, dbt_vars=None, publish=True, target=None):
    """Extract consent signals, `dbt build` the warehouse, then publish the readers' snapshot
    (core.snapshot); raises DbtBuildError naming failed nodes. `target`: duckdb or spark
    (default: the engine setting)."""
    from profiles.build import build_profiles as _build

    return _build(settings, select=select, dbt_vars=dbt_vars, publish=publish, target=target)


def generate_docs(settings):
    """Run `dbt docs generate` (offline); returns the folder holding index.html."""
    from profiles.dbt_docs import generate_docs as _docs

    return _docs(settings)


def __getattr__(name):
    # DbtBuildError is importable from the package without importing dbt up front.
    if name == "DbtBuildError":
        from profiles.build import DbtBuildError

        return DbtBuildError
    raise AttributeError(f"module 'profiles' has no attribute {name!r}")
