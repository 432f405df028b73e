"""The forkserver's last preload (:func:`simulation.workers.start`): freeze what it imported.

Importing this module moves every object the process has made so far (the run path's
modules: numba, pandas, Mesa, the model) to the garbage collector's permanent generation
(``gc.freeze``). The worker processes forked from the forkserver then never walk those
objects in their collections (nor touch, and so copy, the memory pages that hold them), and
the forkserver's own exit does not walk them either. The standard library gives a
forkserver no other hook than the modules it imports; nothing else imports this one.
"""

import gc

gc.freeze()
