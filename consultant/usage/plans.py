"""Plans (config/plans.toml): how many consultations a sender may open per period, and how senders are
counted. Read once, checked strictly: a misspelt key stops the service instead of quietly changing a quota."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LIFETIME = "lifetime"
MONTH = "month"
RELEASE_EVENTS = frozenset({"registration", "renewal"})
_SENDER_KEYS = {"default_plan", "registered_plan", "plus_addressing", "follow_ups_count", "release_on"}
_PLAN_KEYS = {"consultations", "period", "billing_day", "unlimited"}


class PlansError(ValueError):
    """The plans file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Plan:
    name: str
    consultations: int | None  # None: unlimited
    period: str = LIFETIME
    billing_day: int = 1

    @property
    def unlimited(self) -> bool:
        return self.consultations is None


@dataclass(frozen=True)
class Plans:
    plans: dict[str, Plan]
    default_plan: str = "guest"
    registered_plan: str = "registered"
    plus_addressing: str = "strip"
    follow_ups_count: bool = False
    release_on: frozenset[str] = RELEASE_EVENTS

    def get(self, name: str | None) -> Plan:
        """The named plan; a name no longer configured falls back to the default plan."""
        return self.plans.get(name or self.default_plan) or self.plans[self.default_plan]

    def require(self, name: str) -> Plan:
        if name not in self.plans:
            raise PlansError(f"no plan named {name!r} (known: {', '.join(sorted(self.plans))})")
        return self.plans[name]

    def normalise(self, address: str) -> str:
        """The sender's identity: lower case and, by policy, without a +tag in the local part."""
        local, at, domain = address.strip().lower().rpartition("@")
        if not at:
            return address.strip().lower()
        if self.plus_addressing == "strip" and "+" in local.lstrip("+"):
            local = local[: local.index("+", 1)]
        return f"{local}@{domain}"


def load_plans(path: Path) -> Plans:
    return _load(str(path))


@lru_cache
def _load(path: str) -> Plans:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PlansError(f"{path}: {exc}") from exc
    _only(path, "", data, {"senders", "plans"})
    raw_plans = data.get("plans", {})
    if not isinstance(raw_plans, dict) or not raw_plans:
        raise PlansError(f"{path}: [plans] must name at least one plan")
    plans = {name: _plan(path, name, values) for name, values in raw_plans.items()}
    senders = data.get("senders", {})
    _only(path, "senders", senders, _SENDER_KEYS)
    result = Plans(
        plans=plans,
        default_plan=_string(path, "senders.default_plan", senders.get("default_plan", "guest")),
        registered_plan=_string(path, "senders.registered_plan", senders.get("registered_plan", "registered")),
        plus_addressing=_choice(path, "senders.plus_addressing", senders.get("plus_addressing", "strip"),
                                {"strip", "keep"}),
        follow_ups_count=_bool(path, "senders.follow_ups_count", senders.get("follow_ups_count", False)),
        release_on=_release_on(path, senders.get("release_on", sorted(RELEASE_EVENTS))),
    )
    for key in ("default_plan", "registered_plan"):
        if getattr(result, key) not in plans:
            raise PlansError(f"{path}: [senders] {key}: no plan named {getattr(result, key)!r}")
    return result


def _plan(path: str, name: str, values: object) -> Plan:
    where = f"plans.{name}"
    _only(path, where, values, _PLAN_KEYS)
    assert isinstance(values, dict)
    if _bool(path, f"{where}.unlimited", values.get("unlimited", False)):
        if set(values) - {"unlimited"}:
            raise PlansError(f"{path}: [{where}] an unlimited plan takes no other key")
        return Plan(name, None)
    if "consultations" not in values:
        raise PlansError(f"{path}: [{where}] consultations is required (or unlimited = true)")
    consultations = _count(path, f"{where}.consultations", values["consultations"], 0, 1_000_000)
    period = _choice(path, f"{where}.period", values.get("period", LIFETIME), {LIFETIME, MONTH})
    if "billing_day" in values and period != MONTH:
        raise PlansError(f"{path}: [{where}] billing_day applies to period = \"month\" only")
    billing_day = _count(path, f"{where}.billing_day", values.get("billing_day", 1), 1, 31)
    return Plan(name, consultations, period, billing_day)


def _only(path: str, where: str, values: object, allowed: set[str]) -> None:
    if not isinstance(values, dict):
        raise PlansError(f"{path}: [{where}] must be a table")
    unknown = set(values) - allowed
    if unknown:
        label = f"[{where}] " if where else ""
        raise PlansError(f"{path}: {label}unknown key(s) {', '.join(sorted(unknown))}")


def _count(path: str, where: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlansError(f"{path}: {where} must be a whole number from {low} to {high}")
    return value


def _bool(path: str, where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise PlansError(f"{path}: {where} must be true or false")
    return value


def _string(path: str, where: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise PlansError(f"{path}: {where} must be a plan name")
    return value


def _choice(path: str, where: str, value: object, allowed: set[str]) -> str:
    if value not in allowed:
        raise PlansError(f"{path}: {where} must be one of {', '.join(sorted(allowed))}")
    return str(value)


def _release_on(path: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or any(v not in RELEASE_EVENTS for v in value):
        raise PlansError(f"{path}: senders.release_on must be a list of {', '.join(sorted(RELEASE_EVENTS))}")
    return frozenset(value)
