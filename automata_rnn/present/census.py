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


def units_table(records: list[dict]) -> str:
    """Markdown: per cell and number of states, how many automata need each number of units (and how many are
    unknown), and how many sit at the counting bound max(1, ceil(log2 |Q|))."""
    sizes = sorted({r["minimal_units"] for r in records if r["minimal_units"] is not None})
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in records:
        groups.setdefault((r["cell"], r["states"]), []).append(r)
    head = ["cell", "\\|Q\\|", "automata", *(f"{n} unit{'s' if n > 1 else ''}" for n in sizes), "unknown",
            "at max(1, ⌈log2 \\|Q\\|⌉)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    order = list(dict.fromkeys(r["cell"] for r in records))
    for (cell, states), group in sorted(groups.items(), key=lambda item: (order.index(item[0][0]), item[0][1])):
        known = [r["minimal_units"] for r in group if r["minimal_units"] is not None]
        at = sum(r["minimal_units"] == r["counting_bound"] for r in group)
        cells = [cell, str(states), str(len(group)), *(str(known.count(n)) for n in sizes),
                 str(len(group) - len(known)), str(at)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def census_text(summary: dict, records: list[dict]) -> str:
    """What ``census`` prints: the family, what was computed or resumed, what the data show (with
    :func:`units_table` of the records), the files."""
    lines = [f"census of {summary['family']}: {summary['automata']} automata x {len(summary['cells'])} cell(s) "
             f"({', '.join(summary['cells'])}) = {summary['entries']} entries, {summary['exact']} exact",
             f"computed now: {summary['computed']} on {summary['engine']}; already in the dataset: "
             f"{summary['resumed']}; certificates: {summary['certificates']} "
             "(automata-rnn audit FOLDER/cert-*.json.gz)"]
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
    lines += ["", units_table(records), ""]
    for u in summary["unknown"]:
        lines.append(f"* {u['automaton']} on {u['cell']}: unknown: {u['reason']}")
    lines += [f"wrote {path}" for paths in summary["files"].values()
              for path in (paths if isinstance(paths, list) else [paths])]
    return "\n".join(lines)


def _methods(counts: dict) -> str:
    return ", ".join(f"{method} ({n})" for method, n in sorted(counts.items()))
