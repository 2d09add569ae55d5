"""What every figure shares: the non-interactive backend (set once here), saving and closing."""

from __future__ import annotations


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (rules run without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def finish(fig, title=None, out_png=None, dpi: int = 150):
    """Give ``fig`` its title, write it to ``out_png`` (and close it) if given; returns ``fig``."""
    if title:
        fig.suptitle(title)
    if out_png is not None:
        fig.savefig(out_png, dpi=dpi)
        pyplot().close(fig)
    return fig
