"""DEVISE regional digital ecosystem simulator.

Mesa agents (digital SMEs, smart-sector firms, policy instruments) are thin views
over arrays owned by each region model; numba kernels advance those arrays one
quarter at a time. See docs/model.md for the model description (ODD).
"""

from .compiled import use_current_cache

__version__ = "0.1.0"

use_current_cache()  # before any kernel is compiled or loaded: see simulation/compiled.py
