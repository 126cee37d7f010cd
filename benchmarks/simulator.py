"""Throughput of the simulator against torch.nn.GRU on the CPU.

Throughput is sequences x steps per second: batch x length / wall time of one
full run (best of several, runs interleaved, after a warm-up).  Inputs are one
binary digit per step, weights drawn as PyTorch initialises them.  The cell
'gru-after' has the equations of torch.nn.GRU and gets the same weights
(mapped by params_from_pytorch_gru; the largest difference of the final states
is printed); 'gru' is the textbook GRU (reset before the product), which
PyTorch has no layer for.

    python benchmarks/simulator.py [--hidden 1 8 64] [--batch 4096] [--length 100] [--threads N]

With N threads (default: every core) torch runs with torch.set_num_threads(N)
and the simulator with ``workers=N`` (slices of the batch in threads) as well
as with one worker; NumPy's BLAS is held to one thread (OPENBLAS_NUM_THREADS
and friends are set before NumPy is imported), so both sides use N cores.
Columns ``/k`` use k threads; the ratio is the faster gru-after column over
torch float64.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, nargs="+", default=[1, 8, 64])
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--cells", nargs="+", default=["gru-after", "gru"])
    return ap.parse_args(argv)


def best_times(runs: dict, repeats: int) -> dict:
    """Best wall time of each callable; the runs are interleaved so that all see the same machine load."""
    for fn in runs.values():
        fn()
    best = {k: float("inf") for k in runs}
    for _ in range(repeats):
        for k, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def main(argv=None) -> None:
    args = parse_args(argv)
    threads = args.threads if args.threads is not None else os.cpu_count()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from automata_rnn.arithmetic.simulate import params_from_pytorch_gru, simulate

    try:
        import torch
    except ImportError:
        torch = None
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, {os.cpu_count()} cpus, threads {threads}")
    print(f"batch {args.batch}, length {args.length}, one binary input; "
          f"throughput in million sequence-steps per second (best of {args.repeats})")
    if torch is None:
        print("torch is not importable: the torch.nn.GRU columns are skipped")
    else:
        torch.set_num_threads(threads)
        assert torch.get_num_threads() == threads

    work = args.batch * args.length
    rng = np.random.default_rng(0)
    inputs = rng.integers(0, 2, size=(args.batch, args.length, 1)).astype(np.float64)
    workers = sorted({1, threads})
    ours = [(cell, w) for w in workers for cell in args.cells]
    header = f"{'hidden':>6}  " + "  ".join(f"{f'{c}/{w}':>12}" for c, w in ours)
    if torch is not None:
        header += (f"  {f'torch f64/{threads}':>13}  {f'torch f32/{threads}':>13}"
                   f"  {'ours/torch f64':>14}  {'max |diff|':>10}")
    print(header)
    for units in args.hidden:
        # PyTorch's default initialisation: uniform in [-1/sqrt(units), 1/sqrt(units)]
        bound = units ** -0.5
        weight_ih, weight_hh, bias_ih, bias_hh = (rng.uniform(-bound, bound, size) for size in
                                                  ((3 * units, 1), (3 * units, units), 3 * units, 3 * units))
        after = params_from_pytorch_gru(weight_ih, weight_hh, bias_ih, bias_hh)
        before = dict(after)
        before.pop("b_hn")
        params = {"gru-after": after, "gru": before}
        runs = {}
        for cell, w in ours:
            if cell not in params:
                raise SystemExit(f"no benchmark weights for cell {cell!r}")
            runs[(cell, w)] = lambda cell=cell, w=w, p=params[cell]: simulate(cell, p, inputs, workers=w)
        if torch is not None:
            x = torch.from_numpy(inputs.transpose(1, 0, 2).copy())
            for label, dtype in (("torch f64", torch.float64), ("torch f32", torch.float32)):
                gru = torch.nn.GRU(1, units).to(dtype)
                with torch.no_grad():
                    for name, value in (("weight_ih_l0", weight_ih), ("weight_hh_l0", weight_hh),
                                        ("bias_ih_l0", bias_ih), ("bias_hh_l0", bias_hh)):
                        getattr(gru, name).copy_(torch.from_numpy(value))

                def run(gru=gru, x=x.to(dtype)):  # noqa: B008 (bound once, outside the timing)
                    with torch.no_grad():
                        return gru(x)

                runs[label] = run
        times = best_times(runs, args.repeats)
        row = f"{units:>6}  " + "  ".join(f"{work / times[k] / 1e6:>12.2f}" for k in ours)
        if torch is not None:
            final = runs["torch f64"]()[1][0].numpy()
            diff = np.abs(simulate("gru-after", after, inputs).final_hidden - final).max()
            mine = [times[k] for k in ours if k[0] == "gru-after"]
            ratio = times["torch f64"] / min(mine) if mine else float("nan")
            row += (f"  {work / times['torch f64'] / 1e6:>13.2f}  {work / times['torch f32'] / 1e6:>13.2f}"
                    f"  {ratio:>14.2f}  {diff:>10.1e}")
        print(row, flush=True)


if __name__ == "__main__":
    main()
