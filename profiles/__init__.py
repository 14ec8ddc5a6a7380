"""profiles package."""


# --- exports, audiences and data-subject rights (profiles/export*.py, audiences.py, privacy*.py)
def export_golden_records(settings, mode: str = "incremental", formats=None):
    """Export golden records (full or incremental) with a manifest; see profiles.export."""
    from profiles.export import export_golden_records as _export

    return _export(settings, mode=mode, formats=formats)


def export_audiences(settings, names=None):
    """Export the audiences configured in exports.yml, consented customers only."""
    from profiles.audiences import export_audiences as _export

    return _export(settings, names=names)


def forget(settings, identifier: str):
    """Erase a person (e-mail, phone or customer_id) everywhere; see profiles.privacy."""
    from profiles.privacy import forget as _forget

    return _forget(settings, identifier)


def access(settings, identifier: str, out=None):
    """Write everything held on a person into one JSON file; returns its path."""
    from profiles.privacy import access as _access

    return _access(settings, identifier, out)


# --- 360° profile marts (profiles/build.py, dbt_project/)
def refresh_consent(settings):
    """Rebuild consent.history / consent.current from the raw layer (dbt reads them)."""
    from profiles.build import refresh_consent as _refresh

    return _refresh(settings)


def build_profiles(settings, select=None, dbt_vars=None, publish=True):
    """Rebuild consent, `dbt build` the warehouse, then publish the readers' snapshot
    (cdp.snapshot); raises DbtBuildError naming failed nodes."""
    from profiles.build import build_profiles as _build

    return _build(settings, select=select, dbt_vars=dbt_vars, publish=publish)


def generate_docs(settings):
    """Run `dbt docs generate` (offline); returns the folder holding index.html."""
    from profiles.build import generate_docs as _docs

    return _docs(settings)


def __getattr__(name):
    # DbtBuildError is importable from the package without importing dbt up front.
    if name == "DbtBuildError":
        from profiles.build import DbtBuildError

        return DbtBuildError
    raise AttributeError(f"module 'profiles' has no attribute {name!r}")
