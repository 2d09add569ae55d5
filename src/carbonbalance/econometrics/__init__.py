"""Spatial econometrics (SPEC §8): the spatial Durbin panel model and its relatives with
fixed effects, LM/Wald/LR tests, LeSage–Pace effects, and MGWR.

Modules, top-down: :mod:`~carbonbalance.econometrics.stage` (the rules' panel, tables
and robustness runs) → :mod:`~carbonbalance.econometrics.models` (ML estimation) →
:mod:`~carbonbalance.econometrics.diagnostics`, :mod:`~carbonbalance.econometrics.effects`,
:mod:`~carbonbalance.econometrics.spectrum` (W's spectrum and likelihood terms),
:mod:`~carbonbalance.econometrics.gwr` (MGWR) → :mod:`~carbonbalance.econometrics.panel`
(variables and the within transformation) → :mod:`~carbonbalance.econometrics.params`.
"""

from carbonbalance.econometrics.diagnostics import chi2_row
from carbonbalance.econometrics.effects import impacts
from carbonbalance.econometrics.gwr import MGWRResult, mgwr
from carbonbalance.econometrics.models import MODELS, PanelResult, spatial_panel
from carbonbalance.econometrics.panel import EFFECTS, Panel, check_rank, demean, evaluate, make_panel, winsorize
from carbonbalance.econometrics.params import default_lee_yu
from carbonbalance.econometrics.spectrum import symmetrizer

__all__ = [
    "EFFECTS",
    "MODELS",
    "MGWRResult",
    "Panel",
    "PanelResult",
    "check_rank",
    "chi2_row",
    "default_lee_yu",
    "demean",
    "evaluate",
    "impacts",
    "make_panel",
    "mgwr",
    "spatial_panel",
    "symmetrizer",
    "winsorize",
]
