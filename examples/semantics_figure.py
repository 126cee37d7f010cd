"""Draw docs/figures/semantics.png: a real gate scaled by a growing gain, against the two threshold semantics.

Run: python examples/semantics_figure.py [OUT.png]
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(out="docs/figures/semantics.png"):
    v = np.linspace(-3, 3, 1201)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for k in (1, 3, 10, 100):
        axes[0].plot(v, 1 / (1 + np.exp(-k * v)), lw=1, label=f"sigmoid({k} v)")
        axes[1].plot(v, np.tanh(k * v), lw=1, label=f"tanh({k} v)")
    step = (v > 0).astype(float)
    axes[0].plot(v, step, "k", lw=2.5, alpha=0.35, label="indicator = saturated: [v > 0]")
    axes[1].plot(v, step, "r--", lw=2, label="indicator (textbook): [v > 0] in {0, 1}")
    axes[1].plot(v, np.where(v > 0, 1.0, -1.0), "k", lw=2.5, alpha=0.35, label="saturated: sign(v) in {-1, +1}")
    axes[0].set_title("sigmoid gates: both semantics agree")
    axes[1].set_title("tanh candidate: the textbook's {0, 1} is not the limit")
    for ax in axes:
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_xlabel("pre-activation v")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
