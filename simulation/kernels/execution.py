"""Execution: projects that end this quarter succeed or fail, and both sides learn."""

from numba import njit

from .. import rng
from ..state import REGION_SHIFT
from . import detmath

_SHIFT = REGION_SHIFT


@njit(cache=True)
def success_probability(capability, absorptive, experience,
                        intercept, b_capability, b_absorptive, b_experience):
    """Logistic success chance of a project."""
    z = (intercept + b_capability * capability + b_absorptive * absorptive
         + b_experience * experience)
    return 1.0 / (1.0 + detmath.exp(-z))


@njit(cache=True)
def apply_client_outcome(i, success, provider_key, sector, maturity, productivity, in_project,
                         ties, frontier, q, stream, maturity_gain, productivity_gain):
    """Client side of a finished project: free the firm; on success learn and keep a tie."""
    in_project[i] = False
    if not success:
        return
    gap = frontier[sector[i]] - maturity[i]
    if gap > 0.0:
        maturity[i] += maturity_gain * gap
    productivity[i] += productivity_gain
    add_tie(ties[i], provider_key, rng.uniform(stream, q, i, rng.TIE_DECAY, 99))


@njit(cache=True)
def add_tie(row, provider_key, u):
    """Remember a provider: keep it if known, else fill a free slot, else replace slot ``u``."""
    for t in range(row.shape[0]):
        if row[t] == provider_key:
            return
    for t in range(row.shape[0]):
        if row[t] < 0:
            row[t] = provider_key
            return
    row[min(int(u * row.shape[0]), row.shape[0] - 1)] = provider_key


@njit(cache=True)
def execute(proj_client_region, proj_client, proj_provider, proj_domain, proj_sector,
            proj_absorptive, proj_value, proj_end,
            alive, busy, capability, experience, reputation, cash, last_success_q, successes,
            sector, maturity, productivity, in_project, ties, frontier,
            region_index, q, stream,
            intercept, b_capability, b_absorptive, b_experience,
            capability_gain, experience_gain, reputation_gain, reputation_loss, project_margin,
            maturity_gain, productivity_gain,
            out_done, out_success, out_foreign):
    """Resolve every project ending in quarter ``q``, held by this (provider) region.

    The success draw is keyed on the client, who has at most one running project.
    A provider that exited meanwhile fails the project. Provider-side updates happen
    here; client-side updates too when the client is local, otherwise the row is
    flagged in ``out_foreign`` for the client's region. ``out_done`` and
    ``out_success`` flag finished and successful rows.

    Returns:
        (finished, successful) counts.

    """
    finished = 0
    won = 0
    for r in range(proj_client.shape[0]):
        out_done[r] = False
        out_success[r] = False
        out_foreign[r] = False
        if proj_end[r] != q:
            continue
        p = proj_provider[r]
        d = proj_domain[r]
        g = proj_sector[r]
        client_key = (proj_client_region[r] << _SHIFT) | proj_client[r]
        ok = False
        if alive[p]:
            chance = success_probability(capability[p, d], proj_absorptive[r], experience[p, g],
                                         intercept, b_capability, b_absorptive, b_experience)
            ok = rng.uniform(stream, q, client_key, rng.SUCCESS, 0) < chance
            cash[p] += project_margin * proj_value[r]
            if ok:
                experience[p, g] += experience_gain * (1.0 - experience[p, g])
                capability[p, d] += capability_gain * (1.0 - capability[p, d])
                reputation[p] += reputation_gain * (1.0 - reputation[p])
                last_success_q[p] = q
                successes[p] += 1
            else:
                reputation[p] *= 1.0 - reputation_loss
        busy[p] -= 1
        out_done[r] = True
        out_success[r] = ok
        finished += 1
        won += ok
        if proj_client_region[r] == region_index:
            apply_client_outcome(proj_client[r], ok, (region_index << _SHIFT) | p, sector,
                                 maturity, productivity, in_project, ties, frontier, q, stream,
                                 maturity_gain, productivity_gain)
        else:
            out_foreign[r] = True
    return finished, won


@njit(cache=True)
def deliver_outcomes(clients, success, provider_keys, sector, maturity, productivity, in_project,
                     ties, frontier, q, stream, maturity_gain, productivity_gain):
    """Apply outcomes of projects that this region's clients ran with foreign providers."""
    for r in range(clients.shape[0]):
        apply_client_outcome(clients[r], success[r], provider_keys[r], sector, maturity,
                             productivity, in_project, ties, frontier, q, stream,
                             maturity_gain, productivity_gain)
