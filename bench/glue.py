"""What a quarter costs besides its compiled work: the Python layer of a region alone.

    python bench/glue.py [--region ES13] [--scale 0.001] [--quarters 40]

At a tiny scale a quarter's compiled work is a few microseconds, so what is left is the
fixed cost of a quarter: the calls' overhead and the Python around them. The script spins
up ``--region`` alone (business as usual), then steps it ``--quarters`` times (ten years by
default: rows of firms that exit are kept, so the tables grow over a longer run) on its
compiled path (simulation/kernels/quarter.py), timing the compiled calls apart from the
rest (CPU time, medians of five blocks), then times each piece of the Python layer in a
loop on the same state. Prints microseconds per quarter.
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit


def main() -> None:
    """Measure and print the per-quarter cost of a lone region's quarter, piece by piece."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="ES13")
    parser.add_argument("--scale", type=float, default=0.001)
    parser.add_argument("--quarters", type=int, default=40)
    args = parser.parse_args()

    import simulation.region as region_module
    from simulation.kernels.quarter import FirmArrays, ProjectArrays, SmeArrays
    from simulation.region import RegionModel, frontier_level
    from simulation.schedule import PhaseClock, run_quarter

    compiled = {"s": 0.0}

    def timed(kernel):
        def call(*args):
            t0 = time.process_time()
            out = kernel(*args)
            compiled["s"] += time.process_time() - t0
            return out
        return call

    for name in ("lone_phases_2_to_5", "lone_enter_learn_observe"):
        setattr(region_module, name, timed(getattr(region_module, name)))
    model = RegionModel(args.region, scale=args.scale, seed=1, start_year=2013,
                        end_year=2013 + args.quarters // 4 + 1, burn_in_years=0)
    block = args.quarters // 5
    totals, kernels = [], []
    for _ in range(5):
        compiled["s"] = 0.0
        t0 = time.process_time()
        for _ in range(block):
            run_quarter([model], model.quarter + 1, exchange=None)
        totals.append((time.process_time() - t0) / block * 1e6)
        kernels.append(compiled["s"] / block * 1e6)
    total, kernel = statistics.median(totals), statistics.median(kernels)
    print(f"{args.region} alone at scale {args.scale:g} ({model.firms.n} firm rows, "
          f"{model.smes.n} SME rows), us per quarter (CPU, medians of 5 x {block} quarters):")
    print(f"  {'whole quarter (schedule.run_quarter)':<50}{total:7.1f}")
    print(f"  {'the two compiled calls, typing included':<50}{kernel:7.1f}")
    print(f"  {'the Python layer, of which:':<50}{total - kernel:7.1f}")

    f, s, pr, q = model.firms, model.smes, model.projects, model.quarter
    pieces = {
        "begin_quarter (frontier level)": lambda: model.begin_quarter(q),
        "act_instruments (none)": model.act_instruments,
        "five Table.whole lookups": lambda: (f.whole(FirmArrays), s.whole(SmeArrays),
                                             pr.whole(ProjectArrays), f.whole(FirmArrays),
                                             s.whole(SmeArrays)),
        "entrants: two alive counts, two Poisson draws": lambda: model._entrants(0, 0),
        "two Table.append (views rebuilt)": lambda: (s.append(0), f.append(0),
                                                     s._refresh_views(), f._refresh_views()),
        "ten series records": lambda: [model._record("demand", 0) for _ in range(10)],
        "observation record": lambda: model._record_observation(1, 1, 1.0, 1, 1, 1, 0.0),
        "phase clock lap": lambda: PhaseClock({}).lap("x"),
        "frontier_level": lambda: frontier_level(model.params, q),
    }
    named = 0.0
    for name, piece in pieces.items():
        seconds = min(timeit.repeat(piece, number=2000, repeat=5)) / 2000 * 1e6
        named += seconds
        print(f"    {name:<48}{seconds:7.2f}")
    print(f"    {'the rest (calls, tuples and locals of lone_quarter)':<48}"
          f"{total - kernel - named:7.2f}")


if __name__ == "__main__":
    main()
