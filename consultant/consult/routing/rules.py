"""Routing rules: each looks at a question's facts and returns a reason to hold it for a reviewer,
or None. Rules never act; the router decides from all reasons."""

from __future__ import annotations

from collections.abc import Callable

from consultant.codes.lookup import CodeFact, Status

Rule = Callable[[str, list[CodeFact]], str | None]


def no_code_found(text: str, facts: list[CodeFact]) -> str | None:
    if not facts:
        return "no code found in the question"
    return None


def code_not_describable(text: str, facts: list[CodeFact]) -> str | None:
    missing = [f for f in facts if f.status not in Status.DESCRIBABLE]
    if not missing:
        return None
    described = ", ".join(f"{f.system_name} {f.code} ({f.status})" for f in missing)
    return f"the catalog cannot describe {described}"


RULES: tuple[Rule, ...] = (no_code_found, code_not_describable)
