"""Figures: the training experiment (loss and gradient norm, cell dynamics, gradients through time) and a census
(minimal units against states).

Drawn with matplotlib's Agg canvas on :class:`matplotlib.figure.Figure`
objects (pyplot and the global backend are left alone; LaTeX is never used).
Every function writes its PNG files atomically (a temporary file in the same
folder, then a rename) and returns their paths.  matplotlib is needed here
only; the rest of the package does not import it.
"""

from __future__ import annotations

import io
import os
import textwrap
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from automata_rnn.arithmetic.autodiff import Tape
from automata_rnn.interop.files import write_atomic
from automata_rnn.learn.train import TrainResult, evaluate, init_params
from automata_rnn.model.cells import get_cell

DYNAMICS_SEED = 41
_STYLE: Any = {"text.usetex": False, "font.size": 9}
_COLOURS = {"rnn": "tab:blue", "gru": "tab:orange", "gru-after": "tab:red", "gru-chung": "tab:purple",
            "lstm": "tab:green"}

__all__ = ["census_plot", "dynamics_curves", "dynamics_parameters", "dynamics_plots", "gradient_norm_panel",
           "gradient_plot", "gradient_through_time", "textbook_training_plot", "training_plot"]


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str) -> str:
    """Write ``fig`` to ``path`` as PNG, whole or not at all (the file's mode follows the umask)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return write_atomic(path, buffer.getvalue())


# -- (a) loss and gradient norm over minibatches ---------------------------------------------------

def training_plot(loss: Sequence[float], grad_norm: Sequence[float], title: str, path: str,
                  clip: float | None = None) -> str:
    """Two panels over minibatches: the loss, and the global norm of the applied gradients on a log scale
    (so that one spike does not flatten the rest), with the clipping threshold dotted when ``clip`` is given.
    A log scale cannot show a norm of 0 nor one that is not finite: those minibatches are marked at the
    bottom (0) or the top (not finite) edge of the panel, with their count in the legend."""
    with rc_context(_STYLE):
        fig = _figure(7.0, 5.0)
        top, bottom = fig.subplots(2, 1, sharex=True)
        steps = np.arange(len(loss))
        top.plot(steps, loss, lw=0.8)
        top.set_ylabel("Loss")
        top.set_title(title)
        gradient_norm_panel(bottom, steps, np.asarray(grad_norm, dtype=np.float64), clip)
        bottom.set_xlabel("Minibatch")
        fig.tight_layout()
        return _save(fig, path)


def gradient_norm_panel(ax, steps: np.ndarray, norms: np.ndarray, clip: float | None) -> None:
    """Draw ``norms`` against ``steps`` on the matplotlib axes ``ax``: a log axis when some norm is positive and
    finite (a gap in the line where one is not); norms of 0 marked along the bottom edge and non-finite ones
    along the top, each set labelled with its count; the clipping norm dotted when ``clip`` is given."""
    shown = np.isfinite(norms) & (norms > 0)
    # a gap in the line where a norm cannot be drawn, rather than a line through the neighbours
    ax.plot(steps, np.where(shown, norms, np.nan), lw=0.8, color="tab:red")
    if np.any(shown):
        ax.set_yscale("log")
    if clip is not None:
        ax.axhline(clip, color="grey", lw=0.8, ls=":", label=f"clipping norm {clip:g}")
    edge = ax.get_xaxis_transform()  # x in minibatches, y from 0 (bottom edge) to 1 (top edge)
    zero = steps[norms == 0]
    if len(zero):
        ax.plot(zero, np.full(len(zero), 0.03), "|", ms=8, color="black", transform=edge, clip_on=False,
                label=f"norm 0 ({len(zero)} minibatch{'es' if len(zero) > 1 else ''})")
    wild = steps[~np.isfinite(norms)]
    if len(wild):
        ax.plot(wild, np.full(len(wild), 0.97), "|", ms=8, color="purple", transform=edge, clip_on=False,
                label=f"not finite ({len(wild)} minibatch{'es' if len(wild) > 1 else ''})")
    if clip is not None or len(zero) or len(wild):
        ax.legend(loc="upper right")
    ax.set_ylabel("Gradient norm (log scale)" if np.any(shown) else "Gradient norm")


def textbook_training_plot(result: TrainResult, out_dir: str) -> str:
    """The textbook's figure ``q3-{clip|noclip}-{cell}.png`` in ``out_dir``, titled
    "<cell> on sequences of length 20 (with|without gradient clipping)"."""
    length = result.settings.get("length", 20)
    title = f"{result.cell} on sequences of length {length} ({'with' if result.clipped else 'without'} " \
            f"gradient clipping)"
    name = f"q3-{'clip' if result.clipped else 'noclip'}-{result.cell}.png"
    return training_plot(result.loss, result.grad_norm, title, os.path.join(out_dir, name),
                         result.settings.get("clip"))


# -- (b) cell dynamics: h(t) against h(t-1) ----------------------------------------------------------

def dynamics_parameters(seed: int = DYNAMICS_SEED) -> dict[str, float]:
    """The starter code's random one-unit parameters: with ``numpy.random.seed(seed)``, U_r, W_r, U_z, W_z,
    U_h, W_h are 3 * randn(6) and b_r, b_z, b_h are randn(3), in that order (the starter's Uo, Wo, bo
    are the candidate's U_h, W_h, b_h)."""
    rs = np.random.RandomState(seed)
    ur, wr, uz, wz, uh, wh = 3 * rs.randn(6)
    br, bz, bh = rs.randn(3)
    return {"U_r": ur, "W_r": wr, "b_r": br, "U_z": uz, "W_z": wz, "b_z": bz, "U_h": uh, "W_h": wh, "b_h": bh}


def dynamics_curves(x: float, h: np.ndarray, values: Mapping[str, float]) -> dict[str, np.ndarray]:
    """h(t) for each h(t-1) in ``h`` at input ``x``: the sigmoid RNN (U_h, W_h, b_h) and the textbook GRU
    (all nine), both with real gates, computed by the cells' own step equations."""
    h = np.asarray(h, dtype=np.float64).reshape(-1, 1)
    xs = np.full_like(h, float(x))
    ops = Tape(record=False)
    out = {}
    for name in ("rnn", "gru"):
        cell = get_cell(name)
        p = {b.name: np.full(b.shape(1, 1), float(values[b.name])) for b in cell.blocks}
        (h_new,), _ = cell.step(ops, p, xs, (h,))
        out[name] = h_new.value[:, 0]
    return out


def dynamics_plots(out_dir: str, seed: int = DYNAMICS_SEED, points: int = 1000) -> list[str]:
    """``q3-0-dynamics.png`` and ``q3-1-dynamics.png``: h(t) against h(t-1) on ``points`` points of [-3, 3]
    for x = 0 and x = 1, the RNN and the GRU on :func:`dynamics_parameters`, and the identity line
    (where they cross it are the fixed points)."""
    values = dynamics_parameters(seed)
    h = np.linspace(-3, 3, points)
    paths = []
    for x in (0, 1):
        curves = dynamics_curves(x, h, values)
        with rc_context(_STYLE):
            fig = _figure(5.5, 5.0)
            ax = fig.subplots()
            ax.plot(h, curves["rnn"], label="rnn (sigmoid)", color=_COLOURS["rnn"])
            ax.plot(h, curves["gru"], label="gru", color=_COLOURS["gru"])
            ax.plot(h, h, color="grey", ls="--", lw=0.8, label="identity")
            v = values
            ax.set_title(f"Cell dynamics when x = {x} (numpy seed {seed})\n"
                         f"U_r={v['U_r']:.2f}, W_r={v['W_r']:.2f}, b_r={v['b_r']:.2f}\n"
                         f"U_z={v['U_z']:.2f}, W_z={v['W_z']:.2f}, b_z={v['b_z']:.2f}\n"
                         f"U_h={v['U_h']:.2f}, W_h={v['W_h']:.2f}, b_h={v['b_h']:.2f}")
            ax.set_xlabel("$h_{t-1}$")
            ax.set_ylabel("$h_t$")
            ax.legend(loc="lower right")
            fig.tight_layout()
            paths.append(_save(fig, os.path.join(out_dir, f"q3-{x}-dynamics.png")))
    return paths


# -- (c) gradients through time -------------------------------------------------------------------------

def gradient_through_time(cell: str, params: Mapping[str, np.ndarray], length: int = 20) -> dict[str, np.ndarray]:
    """|d loss / d h(k)| for k = 0..length on the textbook's sequence 1, 0, ..., 0 (label 1, loss
    (sigmoid(h(length)) - 1)^2 / 2), summed over units; also |d loss / d c(k)| for the LSTM."""
    xs = np.zeros((1, length, 1))
    xs[0, 0, 0] = 1.0
    ev = evaluate(cell, params, xs, np.ones(1), gradients=False, state_gradients=True)
    assert ev.state_gradients is not None
    return {part: np.abs(g).sum(axis=(1, 2)) for part, g in ev.state_gradients.items()}


def gradient_plot(out_dir: str, cells: Sequence[str] = ("rnn", "gru", "lstm"),
                  trained: Mapping[str, tuple[str, Mapping[str, np.ndarray]]] | None = None, samples: int = 100,
                  seed: int = 0, length: int = 20, name: str = "q3-gradients.png") -> str:
    """|d loss / d h(k)| against the step k, log scale: for each cell the median over ``samples`` random
    initialisations (the trainer's, one unit) with the 10-90 % band; for each entry ``label: (cell, params)``
    of ``trained`` the curve of those parameters (dashed, then dash-dotted for a second entry of the same cell;
    dotted for the LSTM's d loss / d c(k)).  The legend
    gives the geometric-mean factor per step."""
    rng = np.random.default_rng(seed)
    steps = np.arange(length + 1)
    with rc_context(_STYLE):
        fig = _figure(7.0, 4.6)
        ax = fig.subplots()
        for cell in cells:
            colour = _COLOURS.get(cell)
            runs = np.array([gradient_through_time(cell, init_params(cell, 1, 1, rng), length)["h"]
                             for _ in range(samples)])
            runs = np.maximum(runs, np.finfo(float).tiny)
            median = np.median(runs, axis=0)
            ax.plot(steps, median, color=colour, label=f"{cell}, at initialisation ({_factor(median)})")
            ax.fill_between(steps, np.percentile(runs, 10, axis=0), np.percentile(runs, 90, axis=0),
                            color=colour, alpha=0.15, lw=0)
        seen: dict[str, int] = {}
        for label, (cell, params) in (trained or {}).items():
            colour = _COLOURS.get(cell)
            style = ("--", "-.", (0, (5, 1, 1, 1, 1, 1)))[min(seen.get(cell, 0), 2)]
            seen[cell] = seen.get(cell, 0) + 1
            curves = gradient_through_time(cell, params, length)
            g = np.maximum(curves["h"], np.finfo(float).tiny)
            ax.plot(steps, g, color=colour, ls=style, label=f"{label} ({_factor(g)})")
            if "c" in curves:
                gc = np.maximum(curves["c"], np.finfo(float).tiny)
                ax.plot(steps, gc, color=colour, ls=":", label=f"{label}, d loss / d c(k) ({_factor(gc)})")
        ax.set_yscale("log")
        ax.set_xlabel("step k (the 1 is read at step 1; the loss is at step %d)" % length)
        ax.set_ylabel("|d loss / d h(k)|")
        ax.set_title(f"Gradient reaching h(k) on the sequence 1, 0, ..., 0 (length {length})")
        ax.legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        return _save(fig, os.path.join(out_dir, name))


def _factor(g: np.ndarray) -> str:
    """The geometric-mean ratio |g(k)| / |g(k+1)| over the sequence, as a readable string."""
    ratio = (g[0] / g[-1]) ** (1.0 / (len(g) - 1)) if g[-1] > 0 else float("nan")
    return f"x{ratio:.2g} per step"


# -- (d) a census: minimal units against the number of states -------------------------------------------

def census_plot(records: Sequence[Mapping[str, Any]], family: str, path: str) -> str:
    """Minimal units against the number of states, one marker per (states, units, cell) whose area grows with
    the number of automata there (the number written beside it), cells side by side; beside them the lower
    bound max(1, ceil(log2 |Q|)) that 2^n codes impose and Minsky's |Q| |Sigma| units.  Entries without an
    exact minimum are counted in the title, not drawn."""
    cells = list(dict.fromkeys(r["cell"] for r in records))
    exact = [r for r in records if r["minimal_units"] is not None]
    states = sorted({r["states"] for r in records}) or [1]
    with rc_context(_STYLE):
        fig = _figure(9.0, 4.5)
        ax = fig.subplots()
        q = np.arange(min(states), max(states) + 1)
        symbols = max((len(r["machine"]["alphabet"]) for r in records), default=2)
        ax.hlines(q * symbols, q - 0.4, q + 0.4, colors="grey", linestyles="--", lw=1, label="Minsky: |Q| |Σ| units")
        ax.hlines(np.maximum(1, np.ceil(np.log2(q))), q - 0.4, q + 0.4, colors="black", lw=1,
                  label="max(1, ⌈log2 |Q|⌉): the counting bound")
        width = 0.6 / max(1, len(cells))
        for j, cell in enumerate(cells):
            counts: dict[tuple[int, int], int] = {}
            for r in exact:
                if r["cell"] == cell:
                    key = (r["states"], r["minimal_units"])
                    counts[key] = counts.get(key, 0) + 1
            if not counts:
                continue
            xs = np.array([k[0] for k in counts]) + (j - (len(cells) - 1) / 2) * width
            ys = np.array([k[1] for k in counts])
            n = np.array(list(counts.values()))
            ax.scatter(xs, ys, s=20 + 180 * np.sqrt(n / n.max()), color=_COLOURS.get(cell), alpha=0.7,
                       label=f"{cell}: minimal units", zorder=3)
            for x, y, k in zip(xs, ys, n):
                ax.annotate(str(k), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7)
        open_entries = len(records) - len(exact)
        title = textwrap.fill(f"Minimal threshold networks: {family}", 80)
        ax.set_title(title + (f"\n({open_entries} entries without an exact minimum not drawn)" if open_entries
                              else ""))
        ax.set_xlabel("|Q|: states of the minimal automaton")
        ax.set_ylabel("hidden units")
        ax.set_xticks(q)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
        for handle in legend.legend_handles:
            if isinstance(handle, PathCollection):  # a cell's marker at one size, not its first point's
                handle.set_sizes([40])
        fig.tight_layout()
        return _save(fig, path)
