"""The suite's targets (from issue 5) and the table printed at the end."""

from __future__ import annotations

from typing import Any

TARGETS: dict[str, dict[str, float] | None] = {
    "calls_per_second": {"min": 150},
    "calls_per_second_postgres": None,
    "pop_latency_ms_p50": None,
    "pop_latency_ms_p99": {"max": 25},
    "requests_per_call": {"max": 1.5},
    "requests_per_call_naive": None,
    "rss_mb_100k_contacts": {"max": 250},
}
FAULT_TARGET = {"max": 0.0}


def verdict(value: Any, target: dict[str, float] | None) -> str:
    if target is None:
        return ""
    if not isinstance(value, int | float):
        return "no figure"
    if "min" in target and value < target["min"]:
        return "MISSED"
    if "max" in target and value > target["max"]:
        return "MISSED"
    return "met"


def _target_text(target: dict[str, float] | None) -> str:
    if target is None:
        return ""
    if "min" in target:
        return f">= {target['min']:g}"
    return f"<= {target['max']:g}"


def _value_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    found = []
    for key, target in TARGETS.items():
        if key in results:
            value = results[key]
            found.append((key, _value_text(value), _target_text(target), verdict(value, target)))
    for key, figures in results.items():
        if not key.startswith("fault_") or not isinstance(figures, dict):
            continue
        if "error" in figures:
            found.append((key, "error", "0 / 0", figures["error"][:60]))
            continue
        lost, duplicated = figures.get("lost"), figures.get("duplicated")
        met = verdict(lost, FAULT_TARGET) == verdict(duplicated, FAULT_TARGET) == "met"
        text = f"lost {_value_text(lost)} / dup {_value_text(duplicated)}"
        found.append((key, text, "0 / 0", "met" if met else "MISSED"))
    return found


def table(results: dict[str, Any]) -> str:
    header = ("figure", "value", "target", "")
    body = rows(results)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i != 1 else cell.rjust(widths[i])
                  for i, cell in enumerate(row)).rstrip()
        for row in [header, *body]
    ]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: dict[str, Any]) -> str:
    lines = ["| figure | value | target | |", "|---|---:|---|---|"]
    lines += [f"| `{k}` | {v} | {t} | {m} |" for k, v, t, m in rows(results)]
    return "\n".join(lines)
