"""The instrument types as scenario files declare them: parameters, target group, delivery.

Plain data and the checks made on it, with no model imports (no numpy, mesa or numba), so a
scenario file's instruments are checked before the model is imported. The classes that
carry out each type (:mod:`simulation.instruments`) take their ``kind``, ``TARGET`` and
``DELIVERY`` from the declaration here (``class InnovationVoucher(..., declared=VOUCHER)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from .errors import InputError, did_you_mean, show_value
from .params import Param, validated_params
from .regions import get_region

EVIDENCE = "calibration/data/policy_evidence.csv"
"""Where the effect sizes and programme sizes quoted in instrument sources live."""

_ADMIN_SOURCE = (
    "assumption (provisional): of the order of the 4% technical-assistance ceiling of ERDF "
    "programmes plus the delivery agency's own costs"
)

COMMON_PARAMS: Mapping[str, Param] = {
    "budget_per_year": Param(
        0.0, 0.0, 1e10, "EUR per year", "scenario file",
        "Yearly budget at full scale, administrative cost included (scaled with the "
        "model). Commitments never exceed it at full scale; at reduced scale a unit that "
        "the scaled allowance pays only in part is delivered with that chance, so a year "
        "can pass its budget by less than one unit while expected spend equals it.",
    ),
    "admin_share": Param(
        0.10, 0.0, 1.0, "fraction of support", _ADMIN_SOURCE,
        "Administrative cost per euro of support; committed and paid with the support.",
    ),
    "min_employees": Param(
        1, 1, 1e6, "persons", "EU SME definition (Recommendation 2003/361/EC)",
        "Smallest eligible firm.",
    ),
    "max_employees": Param(
        249, 1, 1e6, "persons", "EU SME definition (Recommendation 2003/361/EC): fewer than 250",
        "Largest eligible firm.",
    ),
}
"""Parameters every instrument has."""

CALL_PARAMS: Mapping[str, Param] = {
    "calls_per_year": Param(
        1, 1, 4, "calls", "assumption (provisional): one call a year is usual for ERDF lines",
        "Calls per year, in the year's first quarters (4 = every quarter).", integer=True,
    ),
}
"""Parameters of call-based instruments (``delivery = "calls"``)."""

BUDGET_SPLITS = ("shared", "per_region")
"""How the declared ``budget_per_year`` of an instrument running in several regions is spent.

``shared`` (the default): the declared budget is the instrument's whole budget, split over
its regions in proportion to their full-scale populations of its target group (smart firms,
digital SMEs, or both); the regions' budgets add up to the declared one. ``per_region``:
each region has the declared budget (a programme replicated in every region).
"""

CREATION_LIMIT = 1.0
"""Most firms an instrument may found in a year in a region, as a multiple of the region's
full-scale digital SME population: a bound on memory that no real programme approaches."""


@dataclass(frozen=True)
class InstrumentType:
    """One instrument type: what a scenario may set of it, and whom it serves.

    Attributes:
        kind: The ``type`` name used in scenario files.
        params: Its own parameters, besides :data:`COMMON_PARAMS` (and, for call-based
            types, :data:`CALL_PARAMS`, which a type may redeclare with its own default).
        target: Whom it serves: "firms" (smart firms), "smes" (digital SMEs) or "both";
            a shared budget is split over regions by the full-scale count of them.
        delivery: "routine" (every quarter) or "calls" (``calls_per_year`` a year).
        founds: The parameters that set how many firms the type founds (named in errors).
        founded: Most firms (full scale) the type founds in a year with the whole budget
            of ``params["budget_per_year"]``; None for types that found none.

    """

    kind: str
    params: Mapping[str, Param]
    target: str = "firms"
    delivery: str = "routine"
    founds: str = ""
    founded: Callable[[Mapping[str, float]], float] | None = None

    def declared_params(self) -> dict[str, Param]:
        """Every parameter this instrument type accepts, with its declaration."""
        calls = CALL_PARAMS if self.delivery == "calls" else {}
        return {**COMMON_PARAMS, **calls, **self.params}

    def budget_shares(self, regions: tuple[str, ...], split: str) -> dict[str, float]:
        """Each region's part of the declared yearly budget (see :data:`BUDGET_SPLITS`)."""
        if split == "per_region":
            return dict.fromkeys(regions, 1.0)
        weights = {code: self._target_population(code) for code in regions}
        total = sum(weights.values())
        return {code: w / total for code, w in weights.items()}

    def _target_population(self, code: str) -> float:
        """Full-scale count of the region's firms this instrument type serves."""
        region = get_region(code)
        firms, smes = region.n_smart_firms.value, region.n_digital_smes.value
        return {"firms": firms, "smes": smes}.get(self.target, firms + smes)

    def founded_per_year(self, params: Mapping[str, float]) -> float:
        """Return the most firms (full scale) the type founds in a year (0 if it founds none)."""
        return 0.0 if self.founded is None else self.founded(params)

    def creation_problem(self, params: Mapping[str, float], budget_share: float,
                         code: str) -> str | None:
        """Why these parameters would found too many firms in region ``code``, or None."""
        founded = self.founded_per_year(params) * budget_share
        limit = CREATION_LIMIT * get_region(code).n_digital_smes.value
        if founded <= limit:
            return None
        return (f"{self.founds} would found up to {founded:,.0f} firms a year in {code}, more "
                f"than {CREATION_LIMIT:g} x its {limit:,.0f} digital SMEs")

    def checked(self, name: str, params: Mapping[str, float], regions: Sequence[str],
                budget_split: str, budget_regions: tuple[str, ...] = ()) -> dict[str, float]:
        """Check an instrument of this type; return its parameters complete (defaults filled).

        The checks of :class:`simulation.region.InstrumentSpec`: parameter values, the
        budget split, and the bound on firms founded in each of ``regions`` (a shared
        budget split over ``budget_regions``, or ``regions`` if empty).

        Raises:
            InputError: Naming ``instrument 'NAME'`` and the key (a parameter,
                ``budget_split`` or ``budget_per_year``).

        """
        where = f"instrument {name!r}"
        params = validated_params(params, self.declared_params(), where, "")
        if budget_split not in BUDGET_SPLITS:
            raise InputError(where, "budget_split", f"one of {', '.join(BUDGET_SPLITS)}",
                             show_value(budget_split), did_you_mean(budget_split, BUDGET_SPLITS))
        shares = self.budget_shares(tuple(budget_regions or regions), budget_split)
        for code in regions:
            problem = self.creation_problem(params, shares[code], code)
            if problem:
                raise InputError(where, "budget_per_year", "a budget whose start-ups fit the "
                                 "region", problem, "lower budget_per_year or raise the cost "
                                 "of a place")
        return params


def _startups_founded(params: Mapping[str, float]) -> float:
    """Return an accelerator's start-ups a year when every place is paid.

    That is the whole budget over the cost of a place (administrative cost included),
    times the additional share.
    """
    place = params["cost_per_startup"] * (1.0 + params["admin_share"])
    return params["budget_per_year"] / place * params["additional_share"]


VOUCHER = InstrumentType(
    "innovation_voucher",
    delivery="calls",
    params={
        "calls_per_year": Param(
            4, 1, 4, "calls",
            f"Enterprise Ireland and Invest NI vouchers are open all year ({EVIDENCE})",
            "Calls per year, in the year's first quarters (4 = every quarter).", integer=True,
        ),
        "voucher_value": Param(
            5000.0, 100.0, 1e6, "EUR",
            f"Enterprise Ireland innovation voucher, EUR 5,000 ({EVIDENCE})",
            "Largest amount one voucher pays.",
        ),
        "funding_rate": Param(
            1.0, 0.0, 1.0, "fraction of project value",
            f"Enterprise Ireland standard voucher carries no co-funding ({EVIDENCE})",
            "Share of the project value the voucher pays, up to its value.",
        ),
        "redemption": Param(
            0.9, 0.0, 1.0, "fraction",
            f"1 - share of vouchers unused 0.1, Dutch lottery 2004 ({EVIDENCE})",
            "Share of issued vouchers that their holders use.",
        ),
        "validity_quarters": Param(
            2, 1, 8, "quarters", "assumption (provisional)",
            "Quarters a voucher stays valid, within its calendar year.", integer=True,
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per call that a fully aware eligible firm applies.",
        ),
    },
)


ASSESSMENT = InstrumentType(
    "maturity_assessment",
    params={
        "cost_per_assessment": Param(
            1500.0, 1.0, 1e6, "EUR", "assumption (provisional): two to three consultant days",
            "Public cost of one assessment.",
        ),
        "apply_rate": Param(
            0.01, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that an eligible firm takes part.",
        ),
        "awareness_boost": Param(
            0.47, 0.0, 1.0, "fraction of gap",
            "assumption, of the order of the 47% faster diffusion an information platform "
            "brought in an ABM of SME technology adoption (arXiv 2004.11536, "
            "calibration/data/policy_evidence.csv)",
            "Share of a firm's unawareness removed by the assessment.",
        ),
        "project_chance": Param(
            0.1, 0.0, 1.0, "fraction", "assumption (provisional)",
            "Share of assessed firms that start looking for a project at once.",
        ),
        "ready_quarters": Param(
            2, 1, 8, "quarters", "assumption (provisional)",
            "Quarters an assessed firm keeps looking for a provider.", integer=True,
        ),
    },
)


MATCHMAKING = InstrumentType(
    "matchmaking",
    params={
        "cost_per_participant": Param(
            2000.0, 1.0, 1e6, "EUR", "assumption (provisional)",
            "Public cost of taking one firm through the programme.",
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that a fully aware eligible firm applies.",
        ),
        "extra_breadth": Param(
            5, 0, 100, "providers",
            "assumption (provisional), in line with the 0.84 rise in the chance of a new "
            "partner in the Creative Credits RCT (calibration/data/policy_evidence.csv)",
            "Extra providers a participant looks at when searching.", integer=True,
        ),
        "boost_quarters": Param(
            2, 1, 40, "quarters",
            "Creative Credits RCT: effects significant at 6 months, gone by 12 "
            "(calibration/data/policy_evidence.csv)",
            "Quarters the wider search lasts.", integer=True,
        ),
        "awareness_boost": Param(
            0.3, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a participant's unawareness removed.",
        ),
        "project_chance": Param(
            0.3, 0.0, 1.0, "fraction", "assumption (provisional)",
            "Share of participants whose brokered contact becomes a project request: they "
            "demand at once, every quarter of the boost until matched.",
        ),
        "broker_candidates": Param(
            10, 0, 1000, "providers", "assumption (provisional)",
            "Digital SMEs the hub screens for each participant's introduction.", integer=True,
        ),
    },
)


_FRENCH_CLUSTERS = (
    "French cluster policy: membership alone raises SME R&D and employment, but cluster "
    "policy struggles to raise firms' centrality in knowledge networks (HAL hal-03222070, "
    "halshs-04008120; calibration/data/policy_evidence.csv)"
)

CLUSTER = InstrumentType(
    "cluster_programme",
    target="both",
    delivery="calls",
    params={
        "cost_per_member": Param(
            3000.0, 1.0, 1e6, "EUR per member per year", "assumption (provisional)",
            "Public cost of one member's place for a year.",
        ),
        "sme_share": Param(
            0.3, 0.0, 1.0, "fraction of places", "assumption (provisional)",
            "Share of the places that go to digital SMEs.",
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a fully aware firm (or fully oriented SME) applies.",
        ),
        "introductions": Param(
            1, 0, 4, "ties per firm member",
            f"assumption (provisional), kept low: {_FRENCH_CLUSTERS}",
            "SME members each firm member is introduced to.", integer=True,
        ),
        "experience_boost": Param(
            0.1, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of an SME member's inexperience in each cluster sector removed.",
        ),
        "orientation_boost": Param(
            0.2, 0.0, 1.0, "fraction of gap", f"assumption (provisional); {_FRENCH_CLUSTERS}",
            "Share of an SME member's distance to full smart-sector orientation removed.",
        ),
        "awareness_boost": Param(
            0.1, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a firm member's unawareness removed.",
        ),
    },
)


_CANTABRIA = (f"Cantabria Industria 4.0 line 2018-2021: 96 projects, EUR 5.3m grants, "
              f">EUR 16m induced ({EVIDENCE})")

GRANT = InstrumentType(
    "digitalisation_grant",
    delivery="calls",
    params={
        "grant_max": Param(
            55000.0, 1000.0, 1e7, "EUR",
            f"derived: EUR 5.3m / 96 projects = EUR 55,200 per grant; {_CANTABRIA}",
            "Largest grant per project.",
        ),
        "funding_rate": Param(
            0.33, 0.0, 1.0, "fraction of project value",
            f"derived: EUR 5.3m grants / EUR 16m induced investment = 0.33; {_CANTABRIA}",
            "Share of the investment the grant pays.",
        ),
        "investment_scale": Param(
            11.1, 0.1, 100.0, "x typical project value",
            "derived: EUR 16m / 96 projects = EUR 166,700 per project, / project_value_median "
            f"EUR 15,000 = 11.1; {_CANTABRIA}",
            "Size of a funded investment relative to a typical digital project.",
        ),
        "uptake": Param(
            0.9, 0.0, 1.0, "fraction", "assumption (provisional)",
            "Share of grantees that carry out their project.",
        ),
        "validity_quarters": Param(
            4, 1, 8, "quarters", "assumption (provisional)",
            "Quarters a grantee has to contract its project, within the calendar year.",
            integer=True,
        ),
        "apply_rate": Param(
            0.01, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a fully aware eligible firm applies.",
        ),
    },
)


TRAINING = InstrumentType(
    "skills_training",
    target="both",
    params={
        "cost_per_trainee": Param(
            2500.0, 1.0, 1e6, "EUR", "assumption (provisional): a few days of training",
            "Public cost of one training place.",
        ),
        "sme_share": Param(
            0.5, 0.0, 1.0, "fraction of places", "assumption (provisional)",
            "Share of the places that go to digital SMEs.",
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that an eligible SME (or fully aware firm) applies.",
        ),
        "capability_boost": Param(
            0.1, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a trained SME's capability gap closed in every domain.",
        ),
        "absorptive_boost": Param(
            0.2, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a trained firm's absorptive-capacity gap closed.",
        ),
    },
)


ACCELERATOR = InstrumentType(
    "accelerator",
    target="smes",
    delivery="calls",
    founds="budget_per_year / cost_per_startup x additional_share",
    founded=_startups_founded,
    params={
        "cost_per_startup": Param(
            50000.0, 1.0, 1e7, "EUR", "assumption (provisional)",
            "Public cost of one cohort place, seed funding included.",
        ),
        "seed_funding": Param(
            25000.0, 0.0, 1e7, "EUR", "assumption (provisional)",
            "Cash each member receives (part of cost_per_startup).",
        ),
        "additional_share": Param(
            0.3, 0.0, 1.0, "fraction of places", "assumption (provisional)",
            "Share of places filled by start-ups that exist only because of the programme.",
        ),
        "apply_rate": Param(
            0.3, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a young digital SME applies.",
        ),
        "orientation_floor": Param(
            0.8, 0.0, 1.0, "orientation", "assumption (provisional)",
            "Orientation towards smart-sector clients members reach at least.",
        ),
        "capability_boost": Param(
            0.2, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a member's capability gap closed by mentoring.",
        ),
    },
)


PROCUREMENT = InstrumentType(
    "challenge_procurement",
    delivery="calls",
    params={
        "contract_value": Param(
            50000.0, 1000.0, 1e7, "EUR", "assumption (provisional): the order of an SBIR-style "
            "phase-1 feasibility contract",
            "Value of one challenge contract, paid in full.",
        ),
        "bidders": Param(
            20, 0, 500, "providers", "assumption (provisional)",
            "Extra digital SMEs considered in the open competition.", integer=True,
        ),
        "apply_rate": Param(
            0.01, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a fully aware eligible firm proposes a challenge.",
        ),
    },
)


_EASI = ("EU microcredit: loans of up to EUR 25,000 (Employment and Social Innovation "
         "programme, Regulation (EU) 1296/2013 art. 2)")

FINANCE = InstrumentType(
    "financial_instrument",
    target="smes",
    params={
        "loan_size": Param(25000.0, 100.0, 1e7, "EUR", _EASI, "Amount lent to each borrower."),
        "term_quarters": Param(
            16, 1, 40, "quarters", "assumption (provisional): four-year microloans",
            "Quarters over which a loan is repaid.", integer=True,
        ),
        "public_cost_share": Param(
            0.2, 0.0, 1.0, "fraction of loan", "assumption (provisional)",
            "Public cost of a loan (guarantee losses, interest subsidy) per euro lent.",
        ),
        "apply_rate": Param(
            0.3, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that an eligible SME short of cash applies.",
        ),
    },
)


TYPES: Mapping[str, InstrumentType] = MappingProxyType({
    t.kind: t for t in (VOUCHER, ASSESSMENT, MATCHMAKING, CLUSTER, GRANT, TRAINING,
                        ACCELERATOR, PROCUREMENT, FINANCE)
})
"""Every instrument type, by the ``type`` name used in scenario files."""
