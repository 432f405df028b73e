"""What one run of a sweep computes: the simulator, or a test function through the same pipeline.

A :class:`RunFunction` declares the factors it accepts (dotted paths with their
:class:`~simulation.params.Param` declarations), names its outputs, says what defines its
results (``content``: part of the sweep's key) and maps one design point and replicate to
a dict of outputs. ``devise`` runs the base scenario with the
point's values; ``ishigami`` is the standard sensitivity-analysis test function (analytic
Sobol indices known), used to check the pipeline end to end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..instruments import INSTRUMENT_TYPES
from ..params import MODEL_PARAMS, Param
from ..region import BASELINE_YEAR
from ..runner import TARGET_GROWTH, Series, content_key, simulate_series
from ..scenario import Scenario

REPORT_YEAR = 2021
"""Year whose fourth quarter the simulator's outputs describe (the DEVISE target year)."""


@dataclass(frozen=True)
class DeviseRun:
    """Run the base scenario with a design point's parameter values (all regions summed).

    Factors: ``model.NAME`` (any model parameter) and ``instruments.LABEL.NAME`` (a
    parameter of the base scenario's instrument named LABEL). Outputs (at REPORT_YEAR's
    fourth quarter, regions summed): ``enabling``, ``growth`` (against 2018Q4; NaN where
    2018Q4 has no enabling SME), ``change`` (enabling SMEs gained since 2018Q4, defined
    everywhere),
    ``target_met`` (1 if growth >= 15%), ``spend`` (public spend over the reported years),
    ``dii_basic_share`` (mean over regions); with ``counterfactual``, also ``additional``
    (enabling minus the same point without instruments, same seeds),
    ``additional_spend``, and ``base_growth`` and ``base_change`` (the growth and change
    without instruments).
    """

    base: Scenario
    counterfactual: bool = False

    def declared(self) -> dict[str, Param]:
        """Every factor path this function accepts, with its declaration."""
        out = {f"model.{name}": p for name, p in MODEL_PARAMS.items()}
        for spec in self.base.instruments:
            for name, p in INSTRUMENT_TYPES[spec.kind].declared_params().items():
                out[f"instruments.{spec.name}.{name}"] = p
        return out

    def content(self) -> dict[str, object]:
        """Return what defines this function's results.

        That is: the base scenario's content key (its simulated fields, the code and the
        calibration files) and the counterfactual.
        """
        return {"function": "devise", "base_scenario": content_key(self.base),
                "counterfactual": self.counterfactual}

    def outputs(self) -> tuple[str, ...]:
        """Names of the outputs of one run."""
        extra = (("additional", "additional_spend", "base_growth", "base_change")
                 if self.counterfactual else ())
        return ("enabling", "growth", "change", "target_met", "spend", "dii_basic_share",
                *extra)

    def scenario(self, values: Mapping[str, float]) -> Scenario:
        """Return the base scenario with a point's values applied."""
        model = dict(self.base.model)
        instruments = {spec.name: dict(spec.params) for spec in self.base.instruments}
        for path, value in values.items():
            head, _, rest = path.partition(".")
            if head == "model":
                model[rest] = value
            else:
                label, _, name = rest.rpartition(".")
                instruments[label][name] = value
        return replace(self.base, model=model, instruments=tuple(
            replace(spec, params=instruments[spec.name]) for spec in self.base.instruments))

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        """Return the outputs of one replicate at one design point."""
        scenario = self.scenario(values)
        out = report_outputs(simulate_series(scenario, replicate))
        if self.counterfactual:
            without = report_outputs(simulate_series(replace(scenario, instruments=()),
                                                     replicate))
            out["additional"] = out["enabling"] - without["enabling"]
            out["additional_spend"] = out["spend"] - without["spend"]
            out["base_growth"] = without["growth"]
            out["base_change"] = without["change"]
        return out


def report_outputs(series: Series) -> dict[str, float]:
    """Return the outputs of one replicate's series, all its regions summed (:class:`DeviseRun`).

    Sums and means over regions (and quarters, for spend) run over one array in region
    order, as over the rows of :func:`~simulation.runner.simulate`'s table.
    """
    return outputs_at(series, REPORT_YEAR)


def outputs_at(series: Series, year: int) -> dict[str, float]:
    """Return :func:`report_outputs` at the fourth quarter of ``year`` (spend to its end)."""
    end = series.quarters(f"{year}Q4")
    base = series.values("enabling", series.quarters(f"{BASELINE_YEAR}Q4")).sum()
    enabling = float(series.values("enabling", end).sum())
    growth = enabling / base - 1.0 if base > 0 else math.nan
    shares = series.values("dii_basic_share", end)
    return {"enabling": enabling, "growth": growth, "change": enabling - float(base),
            "target_met": float(growth >= TARGET_GROWTH) if growth == growth else math.nan,
            "spend": float(series.values("public_spend", series.reported(year)).sum()),
            "dii_basic_share": float(shares.mean()) if len(shares) else math.nan}


@dataclass(frozen=True)
class Ishigami:
    """The Ishigami function y = sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3.

    Analytic Sobol indices for a = 7, b = 0.1: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442,
    0.244). Deterministic: every replicate gives the same value.
    """

    a: float = 7.0
    b: float = 0.1

    def declared(self) -> dict[str, Param]:
        """Return the three factors x1, x2, x3 on [-pi, pi]."""
        return {name: Param(0.0, -math.pi, math.pi, "", "Ishigami & Homma (1990)", name)
                for name in ("x1", "x2", "x3")}

    def content(self) -> dict[str, object]:
        """Return what defines this function's results: its constants."""
        return {"function": "ishigami", "a": self.a, "b": self.b}

    def outputs(self) -> tuple[str, ...]:
        """Return the single output ``y``."""
        return ("y",)

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        """Evaluate the function (``replicate`` is ignored)."""
        x1, x2, x3 = (values[k] for k in ("x1", "x2", "x3"))
        return {"y": float(np.sin(x1) + self.a * np.sin(x2) ** 2
                           + self.b * x3**4 * np.sin(x1))}


RunFunction = DeviseRun | Ishigami
