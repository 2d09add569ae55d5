"""Thumbnails of the demo figures of the README (``make readme-figures``).

    python tools/readme_figures.py results/demo/figures docs/img

Reads the demo run's CASA maps of its last year, its CBI maps of every year on one scale,
the county time series and, when the run had an ensemble, its zone stability maps, and
writes them 1600 pixels wide into ``docs/img/`` (matplotlib's image thumbnail, no other
dependency).
"""

from __future__ import annotations

import sys
from pathlib import Path

FIGURES = ("casa_{year}.png", "budget_years_cbi.png", "budget_trends_county.png", "ensemble_zone_stability.png")
WIDTH = 1600


def main(figures: Path, dest: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg

    years = sorted(int(p.stem.split("_")[1]) for p in figures.glob("casa_*.png"))
    if not years:
        raise SystemExit(f"{figures}: no casa_<year>.png (run the demo first: make demo)")
    dest.mkdir(parents=True, exist_ok=True)
    for pattern in FIGURES:
        src = figures / pattern.format(year=years[-1])
        if pattern.startswith("ensemble") and not src.exists():
            continue
        width = mpimg.imread(src).shape[1]
        name = pattern.format(year="demo") if "{year}" in pattern else pattern.replace(".png", "_demo.png")
        out = dest / name
        mpimg.thumbnail(src, out, scale=min(1.0, WIDTH / width))
        print(f"{src} -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
