"""The translation section: reports merged by pair and method, rendered in Table 1's layout."""

from __future__ import annotations

import json

from benchmarks import results_translation as section


def _report(path, pairs):
    path.write_text(json.dumps({"pairs": pairs}))
    return path


def test_merge_and_render(tmp_path):
    base = _report(tmp_path / "base.json", {"ES-PT": {
        "n": 50, "copy": {"chrf++": 39.2, "bleu": 11.6, "seconds": 0}, "outputs": {}}})
    tags = _report(tmp_path / "tags.json", {"ES-PT": {
        "n": 50, "translate": "Translate@1", "tags": {"chrf++": 41.25, "bleu": 12.0}},
        "EN-FR": {"n": 50, "tags": {"chrf++": 40.0, "bleu": 15.0}}})
    merged = section.merge([base, tags])
    assert merged["pairs"]["ES-PT"] == {"n": 50, "translate": "Translate@1",
                                        "copy": {"chrf++": 39.2, "bleu": 11.6},
                                        "tags": {"chrf++": 41.25, "bleu": 12.0}}
    (tmp_path / section.FILE).write_text(json.dumps({**merged, "commands": ["python x"]}))
    lines = section.translation_section(tmp_path)
    rows = [line for line in lines if line.startswith("| ")]
    assert rows[1].startswith("| EN→FR (seen) | 40.5 | 50 | – |")
    assert rows[2].startswith("| ES→PT (zero-shot) | 24.6 | 50 | 39.2 / 11.6 | – |")
    assert rows[2].endswith("| 41.2 / 12.0 |")
    assert "python x" in lines


def test_no_file_no_section_and_mismatched_samples_refused(tmp_path):
    assert section.translation_section(tmp_path) == []
    one = _report(tmp_path / "a.json", {"ES-PT": {"n": 50}})
    two = _report(tmp_path / "b.json", {"ES-PT": {"n": 30}})
    try:
        section.merge([one, two])
    except SystemExit as exc:
        assert "n=30" in str(exc)
    else:
        raise AssertionError("merged two samples of different sizes")
