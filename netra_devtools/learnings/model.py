"""The learnings catalog as data: learnings, their signatures, and the errors loading raises."""

from __future__ import annotations

from dataclasses import dataclass, field

from netra_devtools.errors import NetraDevtoolsError

SEVERITIES = ("critical", "high", "medium", "low")


class LearningError(NetraDevtoolsError):
    """Base of every error the learnings package raises about a catalog."""


class LearningSyntaxError(LearningError):
    """A file is not well-formed XML, or uses entities/DTD tricks defusedxml forbids."""


class LearningSchemaError(LearningError):
    """A file is well-formed but does not follow learning.xsd."""


class SignaturePatternError(LearningError):
    """A signature pattern is not valid RE2 (backreferences and lookaround are not)."""


class CatalogInvalid(LearningError):
    """Cross-file checks failed; `problems` lists every one, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the learnings catalog: {problems[0]}")
        self.problems = problems


@dataclass(frozen=True)
class Signature:
    """An error signature: an RE2 pattern, lines it must match and near-misses it must not."""

    id: str
    pattern: str
    examples: tuple[str, ...]
    near_misses: tuple[str, ...] = ()
    description: str = ""
    learning_id: str = ""


@dataclass(frozen=True)
class Learning:
    """One learning: what goes wrong, why, how to fix it, and how to recognise it in logs."""

    id: str
    title: str
    severity: str
    context: str
    root_cause: str
    fix: str
    fix_task: str
    related_files: tuple[str, ...]
    verification: tuple[str, ...]
    signatures: tuple[Signature, ...]
    source_file: str = ""


@dataclass(frozen=True)
class Catalog:
    """Every learning loaded from a directory, in file-name order."""

    learnings: tuple[Learning, ...]
    signatures: tuple[Signature, ...] = field(init=False)

    def __post_init__(self) -> None:
        sigs = tuple(sig for learning in self.learnings for sig in learning.signatures)
        object.__setattr__(self, "signatures", sigs)

    def learning(self, learning_id: str) -> Learning:
        """The learning with this id (KeyError when absent)."""
        for learning in self.learnings:
            if learning.id == learning_id:
                return learning
        raise KeyError(learning_id)

    def signature(self, signature_id: str) -> Signature:
        """The signature with this id (KeyError when absent)."""
        for sig in self.signatures:
            if sig.id == signature_id:
                return sig
        raise KeyError(signature_id)
