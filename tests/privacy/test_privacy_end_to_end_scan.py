"""After the whole pipeline (ingest, resolve, quality checks, dbt build, exports) and a
`forget` by another spelling of her e-mail, no byte of the data folder holds any form of any
of the person's identifiers: tables, the DuckDB file's free blocks, exports, GX results and
Data Docs, the quality page, dbt's target folder, models. ``landing/`` and ``truth/`` are the
sources' own files and stay out of reach (docs/privacy.md, limits)."""

from __future__ import annotations

import pytest
from privacy_scan import byte_scan, identifier_forms, other_spelling, rewritten_person

from cdp.pipeline import run_pipeline
from core.identifiers import configured_email_rules
from privacy.erase import forget

SOURCES_OWN = ("landing", "truth")


@pytest.mark.slow
def test_no_byte_of_the_data_folder_holds_the_person_after_forget(settings):
    run_pipeline(settings, people=150)
    customer_id, raw_email = rewritten_person(settings)
    forms = identifier_forms(
        settings, customer_id, configured_email_rules(settings.identity_config_path)
    )
    before = byte_scan(settings.data_dir, forms, SOURCES_OWN)
    assert any(line.startswith("warehouse/") for line in before)
    assert any(line.startswith("exports/") for line in before)

    report = forget(settings, other_spelling(raw_email))

    assert report.customers_erased == 1
    assert byte_scan(settings.data_dir, forms, SOURCES_OWN) == []
