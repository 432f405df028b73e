"""Design points of a sweep: full factorial, Latin hypercube, Sobol (Saltelli) or Morris."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .spec import SweepSpec


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """One row per design point (index ``point``), one column per factor path.

    Sobol: Saltelli's scheme, ``samples x (2D + 2)`` points with second-order indices
    (``samples x (D + 2)`` without), in SALib's order, so the first ``samples / 2`` blocks
    are exactly the design for ``samples / 2`` (used by the convergence check). Morris:
    ``samples`` trajectories of ``D + 1`` points on a ``levels``-level grid. Latin
    hypercube: ``samples`` points (scipy, seeded). Factorial: every combination of levels.
    Whole-number parameters are rounded. Each design imports only its own sampler.
    """
    problem = spec.problem()
    if spec.design == "sobol":
        from SALib.sample import sobol as sobol_sample

        x = sobol_sample.sample(problem, spec.samples, calc_second_order=spec.second_order,
                                scramble=False, seed=spec.seed)
    elif spec.design == "morris":
        from SALib.sample import morris as morris_sample

        x = morris_sample.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)
    elif spec.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(spec.factors), seed=spec.seed).random(spec.samples)
        x = qmc.scale(unit, [f.low for f in spec.factors], [f.high for f in spec.factors])
    else:
        x = np.array(list(itertools.product(*(f.levels for f in spec.factors))), dtype=float)
    for j, factor in enumerate(spec.factors):
        if factor.integer:
            x[:, j] = np.round(x[:, j])
    frame = pd.DataFrame(x, columns=[f.path for f in spec.factors])
    frame.index.name = "point"
    return frame
