"""A delimited export with no space beside a field boundary is read without the trim, and
loads the same values as one that needs it."""

from __future__ import annotations

import pytest
from ingestion_landing import POS_HEADER, pos_line

import ingestion
from core.warehouse import connect
from ingestion.csv_scan import PaddingWatch


def _padded(*chunks: str) -> bool:
    watch = PaddingWatch(";", '"', "cp1252")
    for chunk in chunks:
        watch.feed(chunk.encode("cp1252"))
    return watch.finish()


@pytest.mark.parametrize(
    ("text", "padded"),
    [
        ("a;b\nc;d\n", False),
        ("Pain de campagne;Bon d’achat 10 €\r\n", False),  # spaces inside a field only
        ("a ;b\n", True),
        ("a; b\n", True),
        ("a;b \n", True),
        ("a;b \r\nc;d\n", True),
        ("a;b\n c;d\n", True),
        (" a;b\n", True),  # the start of the file is a boundary
        ("a;b ", True),  # and so is its end
        ('a;"b ";c\n', True),
        ('a;" b";c\n', True),
    ],
)
def test_a_space_counts_only_beside_a_field_boundary(text, padded):
    assert _padded(text) is padded


def test_a_space_beside_a_boundary_in_the_next_chunk_counts():
    assert _padded("a ", ";b\n") is True
    assert _padded("a;", " b\n") is True
    assert _padded("a", " b;c\n") is False


def test_a_delimiter_the_encoding_cannot_write_means_every_field_is_trimmed():
    watch = PaddingWatch("→", '"', "cp1252")
    watch.feed(b"a;b\n")
    assert watch.finish() is True


def test_unpadded_and_padded_exports_load_the_same_values(settings):
    """Blank and quoted-empty fields are missing either way; only the padded file is trimmed."""
    folder = settings.landing_dir / "pos"
    folder.mkdir(parents=True)
    plain = [
        pos_line(1, product="Bon d’achat 10 €", city="Créteil", email='""'),
        pos_line(2, product="Café", city="", email="a@example.fr"),
    ]
    padded = [
        pos_line(3, product=" Bon d’achat 10 € ", city="Créteil ", email='""'),
        pos_line(4, product="Café", city="   ", email=" a@example.fr"),
    ]
    for day, lines in (("01", plain), ("02", padded)):
        text = "\n".join([POS_HEADER, *lines]) + "\n"
        (folder / f"pos_receipts_202403{day}.csv").write_bytes(text.encode("cp1252"))

    report = ingestion.ingest(settings, sources=["pos"])

    assert report.total("rows_accepted") == 4
    with connect(settings) as con:
        rows = con.execute(
            "select product_name, customer_city, customer_email from raw.pos__receipt_lines "
            "order by receipt_id"
        ).fetchall()
    expected = [("Bon d’achat 10 €", "Créteil", None), ("Café", None, "a@example.fr")]
    assert rows == expected * 2
