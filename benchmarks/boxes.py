"""One interval image of a stacked PyTorch GRU step: mpmath intervals (one scalar at a time) against the
NumPy box arithmetic (a batch of boxes) and the zonotopes, side by side.

    python benchmarks/boxes.py [--layers 50 50] [--batch 1 256] [--repeats 3]

The network is ``--layers`` of gru-after units (weights as PyTorch initialises them, seeded), read from
the same cell equations by each arithmetic; the input box has width 0.01 around a random state.  Each
figure is the best of ``--repeats`` runs; the mpmath step runs once per box, so its per-box time is
multiplied out for a batch.  The widest image of each method is printed too (tighter is better; every
one contains the exact image).

A second table starts from a thin cloud of states instead (200 points along 3 random directions, extent
0.01 along them and 1e-5 across, as the states of one automaton state are): its bounding box's image by boxes
and by zonotopes, against the zonotope image of its parallelotope along its principal axes (what
``verify``'s parallelotopes use), and the containment test of that image in the cloud's parallelotope
(:meth:`Parallelotope.holds`).
"""

from __future__ import annotations

import argparse
import platform
import time
from fractions import Fraction

import numpy as np
from mpmath import iv

from automata_rnn.arithmetic.boxes import Box, BoxOps, boxes_of
from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.parallelotopes import Parallelotope
from automata_rnn.arithmetic.zonotopes import Zonotope, ZonotopeOps
from automata_rnn.model.cells import get_cell
from automata_rnn.model.network import stack


def network(layers: tuple[int, ...], seed: int):
    rng = np.random.default_rng(seed)
    net = stack(get_cell("gru-after"), layers, 1)
    units = sum(layers)
    params = {}
    for b in net.blocks:
        shape = b.shape(units, 1)
        bound = 1 / np.sqrt(b.units or units)
        values = np.vectorize(Fraction)(rng.uniform(-bound, bound, shape).astype(np.float32).astype(np.float64))
        params[b.name] = tuple(map(tuple, values)) if len(shape) == 2 else tuple(values)
    return net, params, units


def best(f, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, nargs="+", default=[50, 50])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 256])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    net, params, units = network(tuple(args.layers), 0)
    rng = np.random.default_rng(1)
    print(f"{' x '.join(map(str, args.layers))} gru-after units; {platform.machine()}, Python "
          f"{platform.python_version()}")
    print("| boxes | mpmath intervals | box arithmetic | zonotopes | widest image (mpmath / boxes / zonotopes) |")
    print("|---|---|---|---|---|")
    ip = {k: tuple(tuple(exact(v) for v in row) for row in blk) if isinstance(blk[0], tuple)
          else tuple(exact(v) for v in blk) for k, blk in params.items()}
    bp = boxes_of(params)
    for batch in args.batch:
        centre = rng.uniform(-0.5, 0.5, (batch, units))
        box = Box(centre - 0.005, centre + 0.005)
        x = Box.point(np.ones((batch, 1)))
        first = (tuple(iv.mpf([float(a), float(b)]) for a, b in zip(box.lo[0], box.hi[0])),)

        def by_mpmath(first=first):
            new, _ = net.step(IntervalOps(), ip, (exact(1),), first)
            return max(float(v.b) - float(v.a) for v in new[0])

        def by_boxes(x=x, box=box):
            return net.step(BoxOps(), bp, x, (box,))[0][0]

        def by_zonotopes(x=x, box=box):
            return net.step(ZonotopeOps(), bp, x, (Zonotope.of_box(box),))[0][0].box()

        t_mp, w_mp = best(by_mpmath, args.repeats)
        t_box, boxed = best(by_boxes, args.repeats)
        t_zono, zono = best(by_zonotopes, args.repeats)
        print(f"| {batch} | {t_mp * batch:.3g} s | {t_box:.3g} s | {t_zono:.3g} s | "
              f"{w_mp:.3g} / {float(np.max(boxed.hi[0] - boxed.lo[0])):.3g} / "
              f"{float(np.max(zono.hi[0] - zono.lo[0])):.3g} |")
    cloud(net, bp, units, rng, args.repeats)


def widest(box: Box) -> float:
    return float(np.max(box.hi - box.lo))


def cloud(net, bp, units: int, rng, repeats: int) -> None:
    """The thin cloud's images: bounding box (boxes, zonotopes) against its parallelotope."""
    directions = np.linalg.qr(rng.normal(size=(units, 3)))[0].T
    points = (rng.uniform(-0.5, 0.5, units) + rng.uniform(-0.005, 0.005, (200, 3)) @ directions
              + rng.uniform(-5e-6, 5e-6, (200, units)))
    bound = Box(points.min(axis=0, keepdims=True), points.max(axis=0, keepdims=True))
    shape = Parallelotope.of_points(points, 1.0, 0.0)
    x = Box.point(np.ones((1, 1)))
    t_box, boxed = best(lambda: net.step(BoxOps(), bp, x, (bound,))[0][0], repeats)
    t_zono, zono = best(lambda: net.step(ZonotopeOps(), bp, x, (Zonotope.of_box(bound),))[0][0].box(), repeats)
    t_par, image = best(lambda: net.step(ZonotopeOps(), bp, x, (shape.zonotope(),))[0][0], repeats)
    t_holds, _ = best(lambda: shape.holds(image), repeats)
    print()
    print("| thin cloud (200 states) | box arithmetic | zonotopes of its box | its parallelotope | containment test |")
    print("|---|---|---|---|---|")
    print(f"| time | {t_box:.3g} s | {t_zono:.3g} s | {t_par:.3g} s | {t_holds:.3g} s |")
    print(f"| widest (set / image) | {widest(bound):.3g} / {widest(boxed):.3g} | {widest(bound):.3g} / "
          f"{widest(zono):.3g} | {widest(shape.zonotope().box()):.3g} / {widest(image.box()):.3g} | |")


if __name__ == "__main__":
    main()
