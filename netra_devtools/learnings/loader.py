"""Load SPEC/learnings/*.xml safely (defusedxml) and check each file against learning.xsd's rules.

No XSD engine is a runtime dependency, so the structure is checked here, rule for rule as in
learning.xsd (which ships next to the XML and is checked against these rules by the tests).
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import re2
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from netra_devtools.learnings.model import (
    SEVERITIES,
    Catalog,
    Learning,
    LearningSchemaError,
    LearningSyntaxError,
    Signature,
    SignaturePatternError,
)

LEARNING_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
SIGNATURE_ID = re.compile(r"[a-z][a-z0-9-]*\Z")
LEARNING_CHILDREN = (
    "title",
    "context",
    "root-cause",
    "fix",
    "related-files",
    "verification",
    "signatures",
)
SIGNATURE_CHILDREN = ("description", "pattern", "example", "near-miss")
MAX_FILE_BYTES = 1 << 20


def parse_xml(data: bytes, name: str) -> Element:
    """Parse XML bytes with defusedxml: entities, external references and DTDs are rejected."""
    parser = DefusedXMLParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root: Element = parser.close()
        return root
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        raise LearningSyntaxError(f"{name}:{line}: forbidden XML construct: {exc}") from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else parser.parser.CurrentLineNumber
        raise LearningSyntaxError(f"{name}:{line}: not well-formed XML: {exc}") from None
    except (ValueError, LookupError) as exc:  # odd encodings declared in the XML prolog
        raise LearningSyntaxError(f"{name}: unreadable XML: {exc}") from None


def compile_pattern(pattern: str, where: str) -> re2._Regexp:
    """Compile one signature pattern with RE2; anything RE2 rejects is a SignaturePatternError."""
    try:
        compiled = re2.compile(pattern, matcher_options())
    except re2.error as exc:
        raise SignaturePatternError(
            f"{where}: pattern is not valid RE2 (no backreferences or lookaround): {exc}"
        ) from None
    if compiled.search("") is not None:
        raise SignaturePatternError(f"{where}: pattern matches the empty line")
    return compiled


def matcher_options() -> re2.Options:
    """RE2 options every signature is compiled with: a match never spans a newline."""
    options = re2.Options()
    options.never_nl = True
    options.log_errors = False
    return options


def _text(element: Element, where: str, *, prose: bool) -> str:
    if len(element):
        raise LearningSchemaError(f"{where}: <{element.tag}> must contain text only")
    text = (element.text or "").strip()
    if not text:
        raise LearningSchemaError(f"{where}: <{element.tag}> is empty")
    return " ".join(text.split()) if prose else text


def _attrs(element: Element, allowed: set[str], where: str) -> None:
    extra = set(element.attrib) - allowed
    if extra:
        raise LearningSchemaError(f"{where}: unexpected attribute(s) {sorted(extra)}")


def _ordered_children(element: Element, order: tuple[str, ...], where: str) -> None:
    """Children must appear in schema order (xs:sequence); unknown elements are errors."""
    last = -1
    for child in element:
        if not isinstance(child.tag, str) or child.tag not in order:
            raise LearningSchemaError(f"{where}: unexpected element <{child.tag}>")
        index = order.index(child.tag)
        if index < last:
            raise LearningSchemaError(f"{where}: <{child.tag}> is out of order")
        last = index


def _one(element: Element, tag: str, where: str) -> Element:
    found = element.findall(tag)
    if len(found) != 1:
        raise LearningSchemaError(f"{where}: expected exactly one <{tag}>, found {len(found)}")
    return found[0]


def _list(element: Element, tag: str, item: str, where: str) -> tuple[str, ...]:
    container = _one(element, tag, where)
    _ordered_children(container, (item,), f"{where}/{tag}")
    items = tuple(_text(child, f"{where}/{tag}", prose=True) for child in container)
    if not items:
        raise LearningSchemaError(f"{where}: <{tag}> needs at least one <{item}>")
    return items


def _signature(element: Element, learning_id: str, where: str) -> Signature:
    _attrs(element, {"id"}, where)
    sig_id = element.get("id", "")
    if not SIGNATURE_ID.match(sig_id):
        raise LearningSchemaError(f"{where}: signature id {sig_id!r} must match [a-z][a-z0-9-]*")
    where = f"{where}[@id={sig_id}]"
    _ordered_children(element, SIGNATURE_CHILDREN, where)
    description = element.findall("description")
    if len(description) > 1:
        raise LearningSchemaError(f"{where}: at most one <description>")
    pattern = _text(_one(element, "pattern", where), where, prose=False)
    compile_pattern(pattern, f"{where}: signature {sig_id}")
    examples = tuple(_text(e, where, prose=False) for e in element.findall("example"))
    if not examples:
        raise LearningSchemaError(f"{where}: signature {sig_id} needs at least one <example>")
    return Signature(
        id=sig_id,
        pattern=pattern,
        examples=examples,
        near_misses=tuple(_text(e, where, prose=False) for e in element.findall("near-miss")),
        description=_text(description[0], where, prose=True) if description else "",
        learning_id=learning_id,
    )


def learning_from_element(root: Element, name: str) -> Learning:
    """Build a Learning from a parsed <learning> element, enforcing learning.xsd's rules."""
    if root.tag != "learning":
        raise LearningSchemaError(f"{name}: root element must be <learning>, not <{root.tag}>")
    _attrs(root, {"id", "severity"}, name)
    learning_id = root.get("id", "")
    if not LEARNING_ID.match(learning_id):
        raise LearningSchemaError(f"{name}: learning id {learning_id!r} must match [a-z][a-z0-9_]*")
    severity = root.get("severity", "")
    if severity not in SEVERITIES:
        raise LearningSchemaError(f"{name}: severity {severity!r} is not one of {SEVERITIES}")
    _ordered_children(root, LEARNING_CHILDREN, name)
    fix = _one(root, "fix", name)
    _attrs(fix, {"task"}, f"{name}/fix")
    task = (fix.get("task") or "").strip()
    if not task.startswith("invoke "):
        raise LearningSchemaError(f"{name}/fix: task must be an invoke command, got {task!r}")
    signatures = _one(root, "signatures", name)
    _ordered_children(signatures, ("signature",), f"{name}/signatures")
    if not len(signatures):
        raise LearningSchemaError(f"{name}: <signatures> needs at least one <signature>")
    return Learning(
        id=learning_id,
        title=_text(_one(root, "title", name), name, prose=True),
        severity=severity,
        context=_text(_one(root, "context", name), name, prose=True),
        root_cause=_text(_one(root, "root-cause", name), name, prose=True),
        fix=_text(fix, name, prose=True),
        fix_task=task,
        related_files=_list(root, "related-files", "file", name),
        verification=_list(root, "verification", "test", name),
        signatures=tuple(_signature(sig, learning_id, f"{name}/signature") for sig in signatures),
        source_file=name,
    )


def load_learning_bytes(data: bytes, name: str) -> Learning:
    """Parse and check one learning given as bytes; `name` is used in error messages."""
    if len(data) > MAX_FILE_BYTES:
        raise LearningSyntaxError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    return learning_from_element(parse_xml(data, name), name)


def load_catalog(directory: Path) -> Catalog:
    """Load every *.xml learning in a directory, in file-name order."""
    files = sorted(directory.glob("*.xml"))
    if not files:
        raise LearningSchemaError(f"{directory}: no learning files (*.xml)")
    return Catalog(tuple(load_learning_bytes(path.read_bytes(), str(path)) for path in files))
