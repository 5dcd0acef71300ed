"""A sealed file's rows, parsed without being made into models (what the patient index is
derived from), only while the file is the one the index wrote and of this schema."""

import orjson

from storage.documents import META, SCHEMA_VERSION, MonthIndexDocument
from storage.sealed import seal_of, sealed_rows


def month_file(tmp_path, schema=SCHEMA_VERSION):
    content = orjson.dumps({"days": {"1": {"date": "2026-03-02", "stamp": "1-1"}},
                            META: {"1": {"schema": schema}}})
    path = tmp_path / "2026-03.json"
    path.write_bytes(content)
    return path, seal_of(content)


def test_the_rows_of_a_file_with_its_seal(tmp_path):
    path, seal = month_file(tmp_path)
    assert sealed_rows(path, seal, MonthIndexDocument, "days") == [
        {"date": "2026-03-02", "stamp": "1-1"}]
    assert sealed_rows(tmp_path / "none.json", seal_of(b""), MonthIndexDocument, "days") == []


def test_no_rows_from_a_file_changed_unsealed_or_of_another_schema(tmp_path):
    path, seal = month_file(tmp_path)
    assert sealed_rows(path, None, MonthIndexDocument, "days") is None
    path.write_bytes(path.read_bytes().replace(b"1-1", b"2-2"))
    assert sealed_rows(path, seal, MonthIndexDocument, "days") is None
    older, its_seal = month_file(tmp_path, schema=SCHEMA_VERSION - 1)
    assert sealed_rows(older, its_seal, MonthIndexDocument, "days") is None
