"""The learnings loader: safe XML, schema rules (mirrored from learning.xsd), RE2-only patterns."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netra_devtools.learnings import REPO_ROOT, SPEC_DIR, load_catalog
from netra_devtools.learnings.loader import load_learning_bytes
from netra_devtools.learnings.model import (
    Catalog,
    LearningError,
    LearningSchemaError,
    LearningSyntaxError,
    SignaturePatternError,
)
from netra_devtools.learnings.render import render_markdown
from netra_devtools.learnings.validate import check_examples, check_ids, missing_references
from tests.support.skips import require_module

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<learning id="sample" severity="low">
  <title>Sample</title>
  <context>c</context>
  <root-cause>r</root-cause>
  <fix task="invoke doctor">f</fix>
  <related-files><file>README.md</file></related-files>
  <verification><test>tests/unit/test_learnings_loader.py::test_valid_file_loads</test></verification>
  <signatures>
    <signature id="sample-sig">
      <pattern>PATTERN</pattern>
      <example>boom happened</example>
      <near-miss>all good</near-miss>
    </signature>
  </signatures>
</learning>
"""


def _xml(pattern: str = "boom", **replace: str) -> bytes:
    from xml.sax.saxutils import escape

    text = VALID.replace("PATTERN", escape(pattern))
    for old, new in replace.items():
        text = text.replace(old.replace("_", "-"), new)
    return text.encode()


def test_valid_file_loads() -> None:
    learning = load_learning_bytes(_xml(), "sample.xml")
    assert learning.id == "sample"
    assert learning.fix_task == "invoke doctor"
    assert learning.signatures[0].examples == ("boom happened",)
    assert learning.signatures[0].learning_id == "sample"


def test_entity_expansion_is_rejected_naming_file_and_line() -> None:
    bomb = b'<?xml version="1.0"?>\n<!DOCTYPE l [\n <!ENTITY a "aaaaaaaa">\n <!ENTITY b "&a;&a;&a;&a;">\n]>\n<learning>&b;</learning>'
    with pytest.raises(
        LearningSyntaxError, match=r"^bomb\.xml:3: forbidden XML construct: EntitiesForbidden"
    ):
        load_learning_bytes(bomb, "bomb.xml")


def test_external_entity_is_rejected_naming_file_and_line() -> None:
    xxe = b'<?xml version="1.0"?>\n\n<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<learning>&x;</learning>'
    with pytest.raises(LearningSyntaxError, match=r"^xxe\.xml:3: .*file:///etc/passwd"):
        load_learning_bytes(xxe, "xxe.xml")


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(LearningSyntaxError, match=r"^bad\.xml:3: not well-formed"):
        load_learning_bytes(b"<learning>\n<title>\n</x>\n</learning>\n<", "bad.xml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({'severity="low"': 'severity="urgent"'}, "severity 'urgent'"),
        ({"<title>Sample</title>": ""}, "exactly one <title>"),
        ({"<context>c</context>": "<context> </context>"}, "<context> is empty"),
        ({'task="invoke doctor"': 'task="make fix"'}, "must be an invoke command"),
        ({'<signature id="sample-sig">': '<signature id="Bad Id">'}, "signature id 'Bad Id'"),
        ({"<example>boom happened</example>": ""}, "needs at least one <example>"),
        (
            {"<root-cause>r</root-cause>": "<extra/><root-cause>r</root-cause>"},
            "unexpected element <extra>",
        ),
        (
            {
                "<title>Sample</title>\n  <context>c</context>": "<context>c</context><title>Sample</title>"
            },
            "out of order",
        ),
    ],
)
def test_schema_violations_are_reported(change: dict[str, str], message: str) -> None:
    text = VALID.replace("PATTERN", "boom")
    for old, new in change.items():
        assert old in text
        text = text.replace(old, new)
    with pytest.raises(LearningSchemaError, match=message):
        load_learning_bytes(text.encode(), "s.xml")
    xmlschema = require_module("xmlschema")
    schema = xmlschema.XMLSchema(str(SPEC_DIR / "learning.xsd"))
    if "invoke" not in message:  # the XSD and the loader agree on every structural rule
        assert not schema.is_valid(text)


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", r"boom(?=x)", r"(?!boom)x", r"(?<=a)b", "a{1001}"],
    ids=["backreference", "lookahead", "negative-lookahead", "lookbehind", "huge-repeat"],
)
def test_non_re2_patterns_are_rejected_naming_file_and_signature(pattern: str) -> None:
    with pytest.raises(
        SignaturePatternError,
        match=r"^p\.xml/signature\[@id=sample-sig\]: signature sample-sig: pattern is not valid RE2",
    ):
        load_learning_bytes(_xml(pattern), "p.xml")


def test_pattern_matching_every_line_is_rejected() -> None:
    with pytest.raises(SignaturePatternError, match="matches the empty line"):
        load_learning_bytes(_xml("x*"), "p.xml")


def test_shipped_files_are_valid_against_learning_xsd() -> None:
    xmlschema = require_module("xmlschema")
    schema = xmlschema.XMLSchema(str(SPEC_DIR / "learning.xsd"))
    for path in sorted(SPEC_DIR.glob("*.xml")):
        schema.validate(str(path))


def test_validator_catches_duplicates_cross_matches_and_missing_references(tmp_path: Path) -> None:
    one = load_learning_bytes(_xml("boom"), "a.xml")
    two = dataclasses.replace(one, source_file="b.xml")
    catalog = Catalog((one, two))
    assert "duplicate learning id 'sample'" in check_ids(catalog)
    assert "required signature 'port-in-use' is missing" in check_ids(catalog)
    assert any("example matches ['sample-sig', 'sample-sig']" in p for p in check_examples(catalog))
    loose = load_learning_bytes(_xml("good|boom"), "c.xml")
    assert any("near-miss matches ['sample-sig']" in p for p in check_examples(Catalog((loose,))))
    missing = missing_references(Catalog((one,)), tmp_path)
    assert missing == [
        "sample: related file does not exist: README.md",
        "sample: verification test does not exist: tests/unit/test_learnings_loader.py::test_valid_file_loads",
    ]
    assert missing_references(Catalog((one,)), REPO_ROOT) == []


def test_rendered_docs_are_up_to_date() -> None:
    rendered = render_markdown(load_catalog(SPEC_DIR), relative_to=str(REPO_ROOT))
    current = (REPO_ROOT / "docs" / "learnings.md").read_text("utf-8")
    assert rendered == current, "regenerate: python -m netra_devtools.learnings --write-docs"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400) | st.binary(max_size=400))
def test_arbitrary_input_raises_only_learning_errors(data: str | bytes) -> None:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        load_learning_bytes(raw, "fuzz.xml")
    except LearningError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["title", "pattern", "example", "context"]), st.text(max_size=60))
def test_arbitrary_field_text_raises_only_learning_errors(field: str, value: str) -> None:
    from xml.sax.saxutils import escape

    text = VALID.replace("PATTERN", "boom")
    text = text.replace(f"<{field}>", f"<{field}>{escape(value)}", 1)
    try:
        load_learning_bytes(text.encode("utf-8", "surrogatepass"), "fuzz.xml")
    except LearningError:
        pass
