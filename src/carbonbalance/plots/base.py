"""What every figure shares: the non-interactive backend (set once here), saving and closing."""

from __future__ import annotations


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (rules run without a display).

    The Agg canvas's ``draw_idle`` does nothing here: geopandas calls it after every layer
    it plots, and on Agg it renders the whole figure, constrained layout included, each time
    (33 renders of one four-panel MGWR figure, 20 of its 22 seconds).  ``savefig`` renders
    once, as before."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg.draw_idle = _no_draw
    return plt


def _no_draw(*args, **kwargs) -> None:
    """``draw_idle`` of the Agg canvas: nothing to show (see :func:`pyplot`)."""


def finish(fig, title=None, out_png=None, dpi: int = 150):
    """Give ``fig`` its title, write it to ``out_png`` (and close it) if given; returns ``fig``."""
    if title:
        fig.suptitle(title)
    if out_png is not None:
        fig.savefig(out_png, dpi=dpi)
        pyplot().close(fig)
    return fig
