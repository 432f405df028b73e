"""Designing a policy mix (``devise design``; docs/design.md).

A design file names a base scenario, instruments with bounds on their budgets and chosen
parameters, a target year and a required P(target). The search (optuna's multi-objective
samplers, ask and tell) evaluates candidate mixes on the same replicates and posterior draws
(common random numbers), through the sweep machinery's store and executor, and reports the
front of public spend against P(target), the cheapest mix meeting the requirement (written as
a scenario file) and its P(target) on fresh replicates.

Modules: :mod:`.spec` (the design file), :mod:`.evaluate` (one candidate on one replicate),
:mod:`.search` (the resumable ask/tell loop), :mod:`.front` (candidates, front, choice),
:mod:`.output` (files and figure).
"""
