"""convexviz: 1-D neural networks are convex Lasso models over ramp and reflection features.

The package never imports Streamlit; ``app.py`` wires it to widgets.

>>> from convexviz import Architecture, fit
>>> r = fit([0, 2, 6, 7], [0, 0, 3, 3], Architecture("relu", 3), beta=0.1)
>>> [a.feature.label for a in r.active_features]
['ramp (x)+', 'ramp (x - 2)+', 'capped ramp 2 to 6']
>>> bool(abs(r.network_objective - r.lasso.objective) < 1e-9)
True
"""

from .activations import ACTIVATIONS, get_activation
from .architecture import Architecture
from .dictionary import Dictionary, build_dictionary
from .features import KINDS, ChainFeature, PatternFeature
from .fit import ActiveFeature, FitResult, fit
from .lasso import LassoFit, beta_max, solve_lasso
from .network import Network, reconstruct

__all__ = [
    "ACTIVATIONS",
    "KINDS",
    "ActiveFeature",
    "Architecture",
    "ChainFeature",
    "Dictionary",
    "FitResult",
    "LassoFit",
    "Network",
    "PatternFeature",
    "beta_max",
    "build_dictionary",
    "fit",
    "get_activation",
    "reconstruct",
    "solve_lasso",
]
