"""The routing policy (config/routing.toml): which intents may be answered at once, the confidence
below which a person reads the question, and per-plan overrides. Read once, checked strictly: a
misspelt key or an unknown intent stops the service instead of quietly changing what it answers."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from consultant.consult.understand.intents import INTENTS

# what an automatic answer can settle from the code sets; the others need a person's judgement
ANSWERABLE = frozenset({"lookup", "validity", "pair", "units", "modifier"})
_SETTINGS = {"intents", "min_confidence", "unknown_code_answers", "review_all"}


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Policy:
    auto_intents: frozenset[str] = frozenset({"lookup", "validity", "pair", "units"})
    min_confidence: float = 0.6
    unknown_code_answers: frozenset[str] = frozenset({"validity"})
    review_all: bool = False
    plans: dict[str, dict] = field(default_factory=dict)

    def for_plan(self, plan: str | None) -> Policy:
        overrides = self.plans.get(plan or "", {})
        if not overrides:
            return self
        return replace(self, **_fields(overrides), plans={})


def load_policy(path: Path) -> Policy:
    return _load(str(path))


@lru_cache
def _load(path: str) -> Policy:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    unknown = set(data) - {"auto", "plans"}
    if unknown:
        raise PolicyError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    base = _checked(path, "auto", data.get("auto", {}))
    plans = {name: _checked(path, f"plans.{name}", values) for name, values in data.get("plans", {}).items()}
    return Policy(**_fields(base), plans=plans)


def _checked(path: str, where: str, values: dict) -> dict:
    if not isinstance(values, dict):
        raise PolicyError(f"{path}: [{where}] must be a table")
    unknown = set(values) - _SETTINGS
    if unknown:
        raise PolicyError(f"{path}: [{where}] unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("intents", "unknown_code_answers"):
        if key in values:
            bad = [i for i in values[key] if i not in INTENTS] if isinstance(values[key], list) else [values[key]]
            if bad:
                raise PolicyError(f"{path}: [{where}] {key}: not intents: {', '.join(map(str, bad))} "
                                  f"(known: {', '.join(INTENTS)})")
    beyond = sorted(set(values.get("intents", [])) - ANSWERABLE)
    if beyond:
        raise PolicyError(f"{path}: [{where}] intents: the drafts cannot answer from the code sets alone: "
                          f"{', '.join(beyond)}")
    confidence = values.get("min_confidence", 0.0)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise PolicyError(f"{path}: [{where}] min_confidence must be a number from 0 to 1")
    if not isinstance(values.get("review_all", False), bool):
        raise PolicyError(f"{path}: [{where}] review_all must be true or false")
    return values


def _fields(values: dict) -> dict:
    names = {"intents": "auto_intents", "min_confidence": "min_confidence",
             "unknown_code_answers": "unknown_code_answers", "review_all": "review_all"}
    converted = {names[k]: frozenset(v) if isinstance(v, list) else v for k, v in values.items()}
    if "min_confidence" in converted:
        converted["min_confidence"] = float(converted["min_confidence"])
    return converted
