"""A census for people: one CSV row per (automaton, cell), and the summary the command prints."""

from __future__ import annotations

import csv
import io

COLUMNS = ("automaton", "states", "cell", "minimal_units", "lower_bound", "lower_bound_method", "certificate",
           "upper_bound", "upper_bound_method", "counting_bound", "minsky_units", "seconds", "reason")


def census_csv(records: list[dict]) -> str:
    """The records as CSV, one row each, in :data:`COLUMNS` (empty cells where a value is unknown)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in records:
        lower, upper = r["lower_bound"], r["upper_bound"] or {}
        writer.writerow([r["automaton"], r["states"], r["cell"], _cell(r["minimal_units"]), lower["units"],
                         lower["method"], _cell(lower["certificate"]), _cell(upper.get("units")),
                         _cell(upper.get("method")), r["counting_bound"], r["minsky_units"], r["seconds"],
                         _cell(r["reason"])])
    return buffer.getvalue()


def _cell(value) -> str:
    return "" if value is None else str(value)


def census_text(summary: dict) -> str:
    """What ``census`` prints: the family, what was computed or resumed, what the data show, the files."""
    lines = [f"census of {summary['family']}: {summary['automata']} automata x {len(summary['cells'])} cell(s) "
             f"({', '.join(summary['cells'])}) = {summary['entries']} entries, {summary['exact']} exact",
             f"computed now: {summary['computed']} on {summary['engine']}; already in the dataset: "
             f"{summary['resumed']}; certificates: {summary['certificates']} (automata-rnn audit FOLDER/cert-*.json)"]
    for cell, s in summary["statistics"]["cells"].items():
        if not s["exact"]:
            lines.append(f"{cell}: no exact entry")
            continue
        lines.append(f"{cell}: minimum = max(1, ceil(log2 |Q|)) for {s['at_counting_bound']} of {s['exact']} exact "
                     f"entries; largest gap above it {s['largest_gap']} ({s['largest_gap_automaton']}); at most "
                     f"{s['most_units']} unit(s); lower bounds by {_methods(s['lower_bound_methods'])}; "
                     f"{s['seconds']:.1f} s of search")
    for cell, c in summary["statistics"]["against_rnn"].items():
        lines.append(f"{cell} against rnn (both exact): fewer units on {c['fewer']}, as many on {c['same']}, "
                     f"more on {c['more']}")
    for u in summary["unknown"]:
        lines.append(f"* {u['automaton']} on {u['cell']}: unknown: {u['reason']}")
    lines += [f"wrote {path}" for path in summary["files"].values()]
    return "\n".join(lines)


def _methods(counts: dict) -> str:
    return ", ".join(f"{method} ({n})" for method, n in sorted(counts.items()))
