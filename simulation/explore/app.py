"""The explorer page (Solara): pick a region and a scenario, move budgets, run, compare.

Served by ``devise explore``; every value and result comes from
:mod:`simulation.explore.logic`. A run goes to a background thread (:func:`solara.lab.task`),
so the page stays live and shows how many replicates are done; runs of several browser
sessions wait for one another, so the machine's cores are not oversubscribed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import solara
import solara.lab

from ..formatting import eur, region_label, scale_note
from ..instruments import INSTRUMENT_TYPES
from . import DEFAULT_REGION, DEFAULT_REPLICATES, DEFAULT_SCALE, DEFAULT_SCENARIO, ENV, logic

REGION = solara.reactive(os.environ.get(ENV["region"], DEFAULT_REGION))
SCENARIO = solara.reactive(os.environ.get(ENV["scenario"], DEFAULT_SCENARIO))
BUDGETS: solara.Reactive[dict[str, float]] = solara.reactive({})
ADDED: solara.Reactive[list[tuple[str, float]]] = solara.reactive([])
SCALE = solara.reactive(float(os.environ.get(ENV["scale"], DEFAULT_SCALE)))
REPLICATES = solara.reactive(int(os.environ.get(ENV["replicates"], DEFAULT_REPLICATES)))
PARAMETERS = solara.reactive("posterior")
PROGRESS = solara.reactive("")
NEW_TYPE = solara.reactive(next(iter(INSTRUMENT_TYPES)))

_ONE_RUN_AT_A_TIME = threading.Lock()


def choice() -> logic.Choice:
    """Return the page's current values as a :class:`~simulation.explore.logic.Choice`."""
    return logic.Choice(REGION.value, SCENARIO.value, dict(BUDGETS.value), tuple(ADDED.value),
                        SCALE.value, REPLICATES.value, PARAMETERS.value)


@solara.lab.task
def exploration(chosen: logic.Choice) -> logic.Result:
    """Run ``chosen`` (in a thread), reporting replicates done through ``PROGRESS``."""
    PROGRESS.set("waiting for another session's run to finish")
    with _ONE_RUN_AT_A_TIME:
        PROGRESS.set("starting: loading the region model")

        def done(finished: int, total: int) -> None:
            PROGRESS.set(f"{finished} of {total} replicates done")
            exploration.progress = 100.0 * finished / total

        return logic.run(chosen, on_done=done)


def _reset_budgets() -> None:
    """Forget moved budgets and added instruments (the region or the scenario changed)."""
    BUDGETS.set({})
    ADDED.set([])


@solara.component
def _Budget(label: str, value: float, top: float, on_value: Callable[[float], None],
            on_remove: Callable[[], None] | None = None):
    """Show one yearly budget: its label, a slider from 0 to ``top``, a remove button."""
    solara.Text(label, style={"font-size": "0.9em"})
    with solara.Row(style={"align-items": "center"}, classes=["devise-budget"]):
        solara.SliderFloat("", value=value, min=0.0, max=top, step=10_000.0,
                           on_value=on_value)
        if on_remove is not None:
            solara.Button(icon_name="mdi-close", icon=True, on_click=on_remove)


@solara.component
def Controls():
    """Show the sidebar: region, scenario, budgets, added instruments, scale, replicates, Run."""
    scenario = logic.load_shipped(SCENARIO.value)
    labels = {region_label(code): code for code in scenario.regions}
    solara.Select("region", values=list(labels),
                  value=region_label(REGION.value),
                  on_value=lambda label: (REGION.set(labels[label]), _reset_budgets()))
    solara.Select("scenario (shipped; the base is baseline)", values=logic.scenario_names(),
                  value=SCENARIO.value,
                  on_value=lambda name: (SCENARIO.set(name), _reset_budgets()))
    if scenario.description:
        solara.Text(scenario.description, style={"font-size": "0.85em"})
    solara.Markdown("**Yearly budgets** (EUR, full scale; 0 removes an instrument)")
    specs = logic.instruments_in(scenario, REGION.value)
    if not specs:
        solara.Text(f"{SCENARIO.value} has no instrument in {REGION.value}: add one below.")
    for spec in specs:
        declared = spec.params["budget_per_year"]
        value = BUDGETS.value.get(spec.name, declared)
        share = spec.budget_share(REGION.value)
        note = "" if share == 1.0 else f", {share:.0%} of it here"
        _Budget(f"{spec.name} ({spec.kind}): {eur(value)}/yr{note}", value,
                max(2e6, 4 * declared),
                lambda v, name=spec.name: BUDGETS.set({**BUDGETS.value, name: v}),
                ).key(f"budget-{spec.name}")
    for k, (kind, budget) in enumerate(ADDED.value):
        _Budget(f"added {kind} ({logic.ADDED_START}-{logic.ADDED_END}): {eur(budget)}/yr",
                budget, 4e6,
                lambda v, k=k: ADDED.set(
                    [(t, v if i == k else b) for i, (t, b) in enumerate(ADDED.value)]),
                on_remove=lambda k=k: ADDED.set(
                    [item for i, item in enumerate(ADDED.value) if i != k]),
                ).key(f"added-{k}")
    with solara.Row(style={"align-items": "center"}):
        solara.Select("instrument type", values=list(INSTRUMENT_TYPES), value=NEW_TYPE)
        solara.Button("Add", on_click=lambda: ADDED.set(
            [*ADDED.value, (NEW_TYPE.value, logic.ADDED_BUDGET)]))
    solara.Markdown("**Run**")
    solara.SliderFloat(f"scale: {SCALE.value:.0%} of the firms", value=SCALE, min=0.01,
                       max=1.0, step=0.01)
    solara.SliderInt(f"replicates: {REPLICATES.value}", value=REPLICATES, min=1, max=40)
    solara.ToggleButtonsSingle(value=PARAMETERS, values=["posterior", "point"])
    solara.Button("Run", color="primary", on_click=lambda: exploration(choice()),
                  disabled=exploration.pending, classes=["devise-run"])


@solara.component
def Outcome(result: logic.Result):
    """Show the last run: its scale note, the chart, the numbers, the time it took."""
    chosen = result.choice
    note = scale_note(chosen.scale, chosen.replicates)
    if chosen.scale < 1.0:
        solara.Warning(f"Reduced scale: {note}.")
    with solara.Div(classes=["devise-chart"]):
        solara.FigureMatplotlib(logic.index_figure(result), dependencies=[result],
                                format="png")
    header = ("| end of | enabling SMEs base -> policy | additional enabling SMEs "
              "[5-95%] | P(+15%) base -> policy | additional public spend | "
              "per additional enabling SME |\n|---|---|---|---|---|---|\n")
    rows = "".join(f"| {r['year']}Q4 | {r['enabling']} | {r['additional']} | {r['p_target']} "
                   f"| {r['spend']} | {r['cost_per_sme']} |\n" for r in logic.summary(result))
    with solara.Div(classes=["devise-summary"]):
        solara.Markdown(header + rows)
        solara.Text(f"{region_label(chosen.region)}, {chosen.scenario} against "
                    f"{logic.BASE}: {chosen.replicates} replicates, {chosen.parameters} "
                    f"parameters, finished in {result.seconds:.1f} s. Additional: policy - "
                    "base, replicates paired (common random numbers); spend to the end "
                    "of the year.", style={"font-size": "0.85em"})


@solara.component
def Page():
    """Show the explorer page."""
    solara.Title("DEVISE explorer")
    with solara.Sidebar():
        Controls()
    solara.Markdown("## Enabling SMEs against the DEVISE target (+15% on 2018Q4)")
    planned = scale_note(SCALE.value, REPLICATES.value)
    last = exploration.latest
    shown = last is not None and (last.choice.scale, last.choice.replicates) == (
        SCALE.value, REPLICATES.value)
    if SCALE.value < 1.0 and not shown:
        solara.Info(f"Next run: {planned}. Use full scale (and more replicates) for the "
                    "answer; a reduced scale is for trying a mix.")
    if exploration.pending:
        with solara.Div(classes=["devise-running"]):
            solara.Text(f"Running: {PROGRESS.value}")
            solara.ProgressLinear(exploration.progress or True)
    if exploration.error:
        solara.Error(f"The run failed: {exploration.exception}")
    if last is not None:
        Outcome(last)
    elif not exploration.pending:
        solara.Text("Pick a region and a scenario, move the budgets and press Run.")
