"""``devise explore``: a browser page to try a policy mix in one region, without Jupyter.

The page is a plain Solara app (:mod:`simulation.explore.app`), served by ``devise explore``
(:mod:`simulation.explore.command`); what it does is in :mod:`simulation.explore.logic`,
which runs and tests without a browser.

Why plain Solara and not Mesa's SolaraViz: SolaraViz shows one model instance stepping
quarter by quarter (its agents, a space, live plots of a DataCollector), with sliders for
the model's constructor arguments. The question asked of this page is another one: how a
region's indicator differs between business as usual and a policy mix, over several
replicates paired by common random numbers and drawn from the posterior, which is what
:func:`simulation.compare.compare` computes in one call. A SolaraViz page would have to
re-implement that pairing around a single stepping model; plain Solara runs the project's
own comparison in a background thread and shows its result, with the same widgets that
SolaraViz is built from.

This module holds only the settings shared by the command and the page (no heavy import:
the command's bad-input path stays fast).
"""

DEFAULT_REGION = "IE04"
"""Region the page starts with."""

DEFAULT_SCENARIO = "vouchers_and_hubs"
"""Shipped scenario the page starts with (it has an instrument in :data:`DEFAULT_REGION`)."""

DEFAULT_SCALE = 0.1
"""Scale the page starts with: a run of one region takes seconds, not minutes."""

DEFAULT_REPLICATES = 4
"""Replicates the page starts with (two posterior parameter sets of two replicates)."""

ENV = {"region": "DEVISE_EXPLORE_REGION", "scenario": "DEVISE_EXPLORE_SCENARIO",
       "scale": "DEVISE_EXPLORE_SCALE", "replicates": "DEVISE_EXPLORE_REPLICATES"}
"""Environment variables through which ``devise explore`` gives the page its start values."""
