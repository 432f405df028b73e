"""Model parameters, declared once: default, bounds, unit and where the value comes from.

Scenario files may override any of them under ``[model]``; the loader checks names
and bounds against these declarations, and the sensitivity and calibration steps
read the same declarations. Parameters declared with ``fit`` bounds are fitted per
region by ``devise calibrate`` (docs/calibration.md); a region model uses its fitted
values (calibration/regions/CODE.toml) unless a scenario overrides them. Values marked
``assumption`` are not fitted and stay assumptions (see docs/model.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import InputError, did_you_mean, key_path, show_value


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    Attributes:
        default: Value used when a scenario does not set it.
        low: Smallest admissible value (inclusive).
        high: Largest admissible value (inclusive).
        unit: Unit of the value ("fraction", "per quarter", "EUR", ...).
        source: Where the default comes from, or ``assumption (...)`` with the reasoning.
        doc: What the parameter does in the model.
        integer: Whether the value must be a whole number.
        fit: ``(low, high)`` search bounds where the calibration fits the parameter per
            region (``devise calibrate``), None where it is not fitted.

    """

    default: float
    low: float
    high: float
    unit: str
    source: str
    doc: str
    integer: bool = False
    fit: tuple[float, float] | None = None

    def check(self, value: object) -> str | None:
        """Return why ``value`` is not admissible, or None when it is."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"a number in [{self.low:g}, {self.high:g}] ({self.unit})"
        if self.integer and float(value) != int(value):
            return f"a whole number in [{self.low:g}, {self.high:g}] ({self.unit})"
        if not (self.low <= value <= self.high):
            return f"a number in [{self.low:g}, {self.high:g}] ({self.unit})"
        return None


PARAMETER_MODES = ("posterior", "point")
"""Where a run's parameter values come from (``scenario.parameters``). ``posterior``: one
parameter set per pair of replicates, drawn from the region's posterior; ``point``: the fitted
point values of calibration/regions/CODE.toml. Here, not in :mod:`simulation.posteriors`
(which imports numba), so a scenario is checked before the model is imported."""

_ASSUMED = "assumption (provisional; fitted in the calibration step)"
_FITTED = "provisional value; fitted per region by `devise calibrate` (calibration/regions/)"

MODEL_PARAMS: Mapping[str, Param] = MappingProxyType(
    {
        # --- demand -------------------------------------------------------------
        "demand_base": Param(
            0.06, 0.0, 0.5, "per quarter", _FITTED,
            "Quarterly hazard that a fully aware smart firm of 10 persons with the largest "
            "maturity gap starts a digital project.", fit=(0.01, 0.2),
        ),
        "demand_size_elasticity": Param(
            0.3, 0.0, 2.0, "elasticity", _FITTED,
            "Elasticity of the demand hazard to firm size: the hazard scales as "
            "(employees / 10)^elasticity, so larger firms digitalise sooner (the size "
            "gradient of digital intensity, digital_intensity_2021.csv).", fit=(0.0, 1.5),
        ),
        "frontier_start": Param(
            0.55, 0.34, 1.0, "maturity", _FITTED,
            "Digital frontier of every smart sector at the end of the spin-up (2012Q4; above "
            "the basic level 4/12).", fit=(0.4, 0.9),
        ),
        "frontier_growth": Param(
            0.006, 0.0, 0.05, "maturity per quarter", _FITTED,
            "Quarterly advance of the sector frontier (technology progress), also in the "
            "spin-up, back to the basic level 4/12 at which it is held before.",
            fit=(0.0, 0.012),
        ),
        "bass_p": Param(
            0.0075, 0.0, 0.1, "per quarter",
            "Sultan, Farley & Lehmann (1990, J. Marketing Research 27:70) meta-analysis mean "
            "Bass innovation coefficient p=0.03 per year; /4 per quarter",
            "Spontaneous rise of a firm's awareness of its digital needs.",
        ),
        "bass_q": Param(
            0.095, 0.0, 1.0, "per quarter",
            "Sultan, Farley & Lehmann (1990) meta-analysis mean Bass imitation coefficient "
            "q=0.38 per year; /4 per quarter",
            "Rise of awareness driven by the share of digitally intense firms in the sector.",
        ),
        # --- search and matching -------------------------------------------------
        "search_breadth": Param(
            5, 0, 50, "providers", _ASSUMED,
            "Random digital SMEs a client looks at besides its known providers.", integer=True,
        ),
        "reservation": Param(
            0.30, 0.0, 1.0, "score", _ASSUMED,
            "Lowest provider score a client accepts.",
        ),
        "w_capability": Param(
            0.55, 0.0, 1.0, "weight", _ASSUMED, "Weight of domain capability in the score."
        ),
        "w_experience": Param(
            0.25, 0.0, 1.0, "weight", _ASSUMED,
            "Weight of experience with the client's sector in the score.",
        ),
        "w_reputation": Param(
            0.20, 0.0, 1.0, "weight", _ASSUMED, "Weight of reputation in the score."
        ),
        "tie_bonus": Param(
            0.10, 0.0, 1.0, "score", _ASSUMED, "Score bonus for a provider the client knows."
        ),
        "cross_region_share": Param(
            0.05, 0.0, 1.0, "fraction", _ASSUMED,
            "Chance that a client with no local match searches in another partner region.",
        ),
        "cross_region_penalty": Param(
            0.15, 0.0, 1.0, "score", _ASSUMED,
            "Score penalty for a provider in another region (distance, language, trust).",
        ),
        # --- projects ------------------------------------------------------------
        "project_value_median": Param(
            15000.0, 1000.0, 1e6, "EUR",
            "assumption, of the order of innovation vouchers (EUR 5,000-7,500, "
            "policy_evidence.csv) times co-funding",
            "Median value of a digital project (lognormal).",
        ),
        "project_value_sigma": Param(
            0.8, 0.0, 3.0, "log EUR", _ASSUMED, "Dispersion of log project value."
        ),
        "duration_max": Param(
            4, 1, 12, "quarters", _ASSUMED,
            "Projects last 1..duration_max quarters (uniform).", integer=True,
        ),
        "success_intercept": Param(
            -1.0, -10.0, 10.0, "logit", _ASSUMED, "Logit of success for a zero-skill pair."
        ),
        "success_capability": Param(
            3.0, 0.0, 20.0, "logit per unit", _ASSUMED,
            "Effect of provider capability on success.",
        ),
        "success_absorptive": Param(
            1.5, 0.0, 20.0, "logit per unit", _ASSUMED,
            "Effect of client absorptive capacity on success.",
        ),
        "success_experience": Param(
            1.0, 0.0, 20.0, "logit per unit", _ASSUMED,
            "Effect of provider experience with the client's sector on success.",
        ),
        "maturity_gain": Param(
            0.25, 0.0, 1.0, "fraction of gap", _ASSUMED,
            "Share of the client's gap to the frontier closed by a successful project.",
        ),
        "productivity_gain": Param(
            0.03, 0.0, 0.5, "log points", _ASSUMED,
            "Client productivity gain from a successful project.",
        ),
        "capability_gain": Param(
            0.05, 0.0, 1.0, "fraction of gap", _ASSUMED,
            "Share of the provider's gap to 1 closed in the project's domain on success.",
        ),
        "experience_gain": Param(
            0.15, 0.0, 1.0, "fraction of gap", _ASSUMED,
            "Share of the provider's gap to 1 closed in the client's sector on success.",
        ),
        "reputation_gain": Param(
            0.10, 0.0, 1.0, "fraction of gap", _ASSUMED, "Reputation gain on success."
        ),
        "reputation_loss": Param(
            0.20, 0.0, 1.0, "fraction", _ASSUMED, "Share of reputation lost on failure."
        ),
        # --- firm dynamics ---------------------------------------------------------
        "growth_scale": Param(
            0.16, 0.0, 2.0, "log size per year", _FITTED,
            "Laplace scale of a one-person firm's yearly log growth. A firm draws its growth "
            "rate once a year and realises it in four equal quarterly steps (persistent "
            "shocks: yearly growth rates are tent-shaped, Bottazzi & Secchi 2006).",
            fit=(0.04, 0.5),
        ),
        "growth_size_exponent": Param(
            -0.2, -1.0, 0.0, "exponent",
            "Riccaboni, Pammolli, Buldyrev, Ponta & Stanley (2008, PNAS 105:19595): "
            "sigma(S) ~ S^-0.2 (SOURCES.md stylised fact 3)",
            "Growth volatility falls with size as S^exponent.",
        ),
        "exit_first_year": Param(
            0.20, 0.0, 1.0, "per year",
            "1 - one-year survival 0.80 (policy_evidence.csv firm_demography.one_year_survival); "
            "starting value of the per-region fit (calibration/regions/)",
            "Yearly exit hazard of digital SMEs in their first year.", fit=(0.05, 0.5),
        ),
        "exit_years_2_to_5": Param(
            0.139, 0.0, 1.0, "per year",
            "derived: 1 - (0.44/0.80)^(1/4) from five-year survival 0.44 and one-year "
            "survival 0.80 (policy_evidence.csv firm_demography rows); starting value of the "
            "per-region fit (calibration/regions/)",
            "Yearly exit hazard of digital SMEs aged one to five years.", fit=(0.02, 0.4),
        ),
        "exit_mature_factor": Param(
            0.6, 0.0, 2.0, "x region death rate", _FITTED,
            "Exit hazard of firms older than five years, as a multiple of the region's "
            "yearly death rate.", fit=(0.1, 2.0),
        ),
        "cash_margin": Param(
            1500.0, -1e5, 1e5, "EUR per employee per quarter", _ASSUMED,
            "Mean quarterly operating margin per employee from the rest of the market.",
        ),
        "cash_margin_sd": Param(
            4000.0, 0.0, 1e5, "EUR per employee per quarter", _ASSUMED,
            "Dispersion of the quarterly margin per employee.",
        ),
        "project_margin": Param(
            0.25, 0.0, 1.0, "fraction", _ASSUMED, "Share of project value kept as margin."
        ),
        "cash_exit_quarters": Param(
            4, 1, 40, "quarters", _ASSUMED,
            "Quarters of negative cash after which a digital SME exits.", integer=True,
        ),
        "competition": Param(
            0.02, 0.0, 0.5, "log size per quarter per log point", _ASSUMED,
            "Drift of a smart firm's size per log point of productivity above its sector mean.",
        ),
        "firm_exit_factor": Param(
            1.0, 0.0, 5.0, "x region death rate", _FITTED,
            "Exit hazard of a smart firm at its sector's mean productivity, as a multiple of "
            "the region's yearly death rate.", fit=(0.3, 2.5),
        ),
        "exit_productivity": Param(
            1.0, 0.0, 10.0, "per log point", _ASSUMED,
            "How much a productivity lead lowers a smart firm's exit hazard (exponential).",
        ),
        # --- entry -------------------------------------------------------------------
        "birth_rate_factor": Param(
            1.0, 0.0, 5.0, "x region birth rate", _FITTED,
            "Multiplier on the region's yearly birth rate for digital SMEs.", fit=(0.3, 2.5),
        ),
        "newborn_capability": Param(
            0.25, 0.0, 1.0, "capability", _ASSUMED,
            "Upper bound of a start-up's uniform capability draw (one domain gets +0.3); the "
            "set-up population is drawn the same way before the spin-up.",
        ),
        "initial_basic_ratio": Param(
            0.6, 0.0, 1.0, "x 2021 share", _FITTED,
            "Share of smart firms with at least basic digital intensity at the start of the "
            "burn-in, as a multiple of the region's 2021 figure.", fit=(0.1, 1.0),
        ),
        # --- learning and diffusion ------------------------------------------------
        "capability_decay": Param(
            0.01, 0.0, 0.2, "per quarter", _ASSUMED,
            "Quarterly obsolescence of provider capability.",
        ),
        "spillover_rate": Param(
            0.02, 0.0, 0.5, "per quarter", _ASSUMED,
            "Quarterly pull of a client's maturity towards its providers' capability.",
        ),
        "tie_decay": Param(
            0.05, 0.0, 1.0, "per quarter", _ASSUMED,
            "Chance per quarter that a client-provider tie is forgotten.",
        ),
    }
)
"""Every behavioural parameter of a region model, by name."""


def fitted_params() -> dict[str, Param]:
    """Return the parameters the calibration fits, in declaration order."""
    return {name: p for name, p in MODEL_PARAMS.items() if p.fit is not None}


def resolve_params(overrides: Mapping[str, float] | None = None,
                   where: str = "model parameters") -> dict[str, float]:
    """Return the full parameter set: declared defaults updated with ``overrides``.

    Raises:
        InputError: An override names no declared parameter (with a suggestion) or is
            outside its declared bounds; ``where`` names the source in the message.

    """
    return validated_params(overrides or {}, MODEL_PARAMS, where, "model")


def validated_params(values: Any, declared: Mapping[str, Param], file: str, at: str,
                     fill_defaults: bool = True) -> dict[str, float]:
    """Check ``values`` against their declarations; return them as floats.

    The one check of parameter values, for scenario files and for Python callers alike.

    Args:
        values: Parameter values by name.
        declared: The declarations they must follow.
        file: The file (or Python call) they come from, named in errors.
        at: Key path of the table holding them (``model``, ``instruments[0]``...).
        fill_defaults: Start from every declared default.

    Raises:
        InputError: ``values`` is not a table, a name is not declared, or a value is
            not admissible (NaN, infinite, a bool, out of bounds, not whole).

    """
    if not isinstance(values, Mapping):
        raise InputError(file, at, "a table of parameters", show_value(values))
    for name in values:
        if name not in declared:
            raise InputError(file, key_path(at, str(name)), "a known key", "an unknown key",
                             did_you_mean(name, declared))
    out = {name: p.default for name, p in declared.items()} if fill_defaults else {}
    for name, value in values.items():
        problem = param_problem(declared[name], value)
        if problem:
            raise InputError(file, key_path(at, name), problem, show_value(value))
        out[name] = float(value)
    return out


def param_problem(param: Param, value: Any) -> str | None:
    """:meth:`Param.check`, safe for NaN, infinities and integers too large for a float."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or value != value or not param.low <= value <= param.high:
        whole = "a whole number" if param.integer else "a number"
        return f"{whole} in [{param.low:g}, {param.high:g}] ({param.unit})"
    return param.check(value)

