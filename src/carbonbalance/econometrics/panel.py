"""Panel data for the spatial models: variable expressions, winsorising, the balanced
time-major panel and its within transformation (SPEC §8)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from carbonbalance.errors import ConfigError, InputError

EFFECTS = ("none", "unit", "time", "twoways")


_EXPR = re.compile(r"^\s*(?:(log|log1p)\(\s*(\w+)\s*(?:/\s*(\w+)\s*)?\)|(\w+)\s*(?:/\s*(\w+))?)\s*$")


def _rows(df: pd.DataFrame, mask) -> list:
    """The flagged rows as (unit, year) when the frame has them, else row labels."""
    keys = [c for c in ("unit_id", "year") if c in df.columns]
    if len(keys) == 2:
        return [(str(u), int(y)) for u, y in df.loc[mask, keys].head(10).itertuples(index=False)]
    return df.index[mask].tolist()[:10]


def evaluate(df: pd.DataFrame, expr: str) -> pd.Series:
    """The variable ``expr`` of ``df``: a column, ``a/b``, ``log(a)``, ``log(a/b)`` or ``log1p(a)``.

    A log of a value <= 0 or a division by zero is an error naming the (unit, year) rows,
    not a silent NaN or inf.
    """
    m = _EXPR.match(str(expr))
    if not m:
        raise ConfigError(
            f"econometrics: cannot read variable {expr!r}; use a column name, 'a/b', 'log(a)', 'log(a/b)' or 'log1p(a)'"
        )
    fn, a, b = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (None, m.group(4), m.group(5))
    for col in (a, b):
        if col and col not in df.columns:
            raise InputError(
                f"econometrics: variable {expr!r} needs column {col!r}, which the panel "
                f"does not have (columns: {sorted(df.columns)})"
            )
    v = df[a].astype("float64")
    if b:
        den = df[b].astype("float64")
        if (den == 0).any():
            raise InputError(
                f"econometrics: {expr!r} divides by {b!r} = 0 for (unit, year) "
                f"{_rows(df, den == 0)}; fix the statistics or choose another variable"
            )
        v = v / den
    if fn:
        bad = v <= 0 if fn == "log" else v <= -1
        if bad.any():
            raise InputError(
                f"econometrics: {expr!r} takes the {fn} of values out of its domain for (unit, year) "
                f"{_rows(df, bad)} (values {v[bad].tolist()[:5]})"
            )
        v = np.log(v) if fn == "log" else np.log1p(v)
    return v.rename(str(expr))


def winsorize(df: pd.DataFrame, columns, lower: float = 0.01, upper: float = 0.99) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` clipped at their pooled ``lower``/``upper`` quantiles.

    Quantiles are linear-interpolation quantiles over all rows (units and years pooled,
    as in the 1 %/99 % robustness runs of Liu2024). ``attrs['winsorized']`` counts the
    clipped values per column.
    """
    if not 0 <= lower < upper <= 1:
        raise ConfigError(f"winsorize: need 0 <= lower < upper <= 1, got {lower}, {upper}")
    out = df.copy()
    clipped = {}
    for col in columns:
        if col not in out.columns:
            raise InputError(f"winsorize: no column {col!r}")
        v = out[col].astype("float64")
        lo, hi = v.quantile(lower), v.quantile(upper)
        clipped[col] = int(((v < lo) | (v > hi)).sum())
        out[col] = v.clip(lo, hi)
    out.attrs["winsorized"] = clipped
    return out


@dataclass
class Panel:
    """A balanced panel stacked time-major: row ``t * N + i`` is unit ``ids[i]`` in ``times[t]``."""

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    ids: list
    times: list
    W: sparse.csr_matrix

    @property
    def N(self) -> int:
        return len(self.ids)

    @property
    def T(self) -> int:
        return len(self.times)

    def lag(self, v: np.ndarray) -> np.ndarray:
        """(I_T ⊗ W) v for v of shape (N T,) or (N T, k)."""
        shaped = v.reshape(self.T, self.N, -1)
        out = np.stack([self.W @ shaped[t] for t in range(self.T)])
        return out.reshape(v.shape)


def weights_matrix(w, ids) -> sparse.csr_matrix:
    """The N × N matrix of ``w`` in the order of ``ids``.

    w : a ``libpysal.weights.W`` whose ids are the unit ids, or a square DataFrame with
        unit ids as index and columns. Ids are compared as strings.
    """
    want = [str(i) for i in ids]
    if isinstance(w, pd.DataFrame):
        if list(map(str, w.index)) != list(map(str, w.columns)):
            raise InputError("econometrics: the weights DataFrame must have the same ids as index and columns")
        have = [str(i) for i in w.index]
        mat = sparse.csr_matrix(w.to_numpy(dtype="float64"))
    elif hasattr(w, "sparse") and hasattr(w, "id_order"):
        have = [str(i) for i in w.id_order]
        mat = sparse.csr_matrix(w.sparse, dtype="float64")
    else:
        raise InputError(f"econometrics: weights must be a libpysal W or a DataFrame, not {type(w).__name__}")
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    if missing or extra or len(have) != len(set(have)):
        raise InputError(
            "econometrics: the spatial weights do not match the panel's units: "
            f"{len(missing)} panel units missing from W {missing[:10]}, "
            f"{len(extra)} W ids not in the panel {extra[:10]}"
            + (" and W has duplicate ids" if len(have) != len(set(have)) else "")
        )
    pos = {k: i for i, k in enumerate(have)}
    order = np.array([pos[k] for k in want])
    return mat[order][:, order].tocsr()


def make_panel(df: pd.DataFrame, y: str, x: list[str], w, unit: str, time: str) -> Panel:
    """Check ``df`` and stack it: balanced, no duplicates, finite values, W over the same units."""
    x = list(x)
    if not x:
        raise ConfigError("econometrics: no covariates given")
    if len(set(x)) != len(x) or y in x:
        raise ConfigError(f"econometrics: covariates must be distinct and differ from y ({y!r}, {x})")
    missing = [c for c in [unit, time, y, *x] if c not in df.columns]
    if missing:
        raise InputError(f"econometrics: the panel has no column(s) {missing}")
    data = df[[unit, time, y, *x]].copy()
    data[unit] = data[unit].astype(str)
    dup = data.duplicated([unit, time], keep=False)
    if dup.any():
        raise InputError(
            f"econometrics: duplicate {unit}/{time} rows: "
            f"{data.loc[dup, [unit, time]].drop_duplicates().values.tolist()[:10]}"
        )
    values = data[[y, *x]].apply(pd.to_numeric, errors="coerce").astype("float64")
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        rows, cols = np.nonzero(bad)
        units, stamps = data[unit].tolist(), data[time].tolist()
        cells = [(units[r], stamps[r], values.columns[c]) for r, c in zip(rows, cols)]
        raise InputError(
            f"econometrics: {len(cells)} missing or non-finite value(s) (unit, {time}, variable): {cells[:10]}"
        )
    ids = sorted(data[unit].unique())
    times = sorted(pd.unique(data[time]).tolist())
    if len(data) != len(ids) * len(times):
        have = set(zip(data[unit].tolist(), data[time].tolist()))
        gaps = [(i, t) for t in times for i in ids if (i, t) not in have]
        raise InputError(
            f"econometrics: unbalanced panel: {len(ids)} units × {len(times)} periods need "
            f"{len(ids) * len(times)} rows, found {len(data)}; missing (unit, {time}): {gaps[:10]}"
            + (f" and {len(gaps) - 10} more" if len(gaps) > 10 else "")
        )
    data[y] = values[y]
    data[x] = values[x]
    data = data.sort_values([time, unit])
    W = weights_matrix(w, ids)
    return Panel(y=data[y].to_numpy(), X=data[x].to_numpy(), names=x, ids=ids, times=times, W=W)


def demean(v: np.ndarray, N: int, T: int, effects: str) -> np.ndarray:
    """Sweep out unit (mean over time), time (mean over units) or both effects."""
    a = v.reshape(T, N, -1)
    if effects == "none":
        out = a
    elif effects == "unit":
        out = a - a.mean(axis=0, keepdims=True)
    elif effects == "time":
        out = a - a.mean(axis=1, keepdims=True)
    elif effects == "twoways":
        out = a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean(axis=(0, 1), keepdims=True)
    else:
        raise ConfigError(f"econometrics: effects must be one of {EFFECTS}, not {effects!r}")
    return out.reshape(v.shape)


def check_rank(X: np.ndarray, names: list[str], raw: np.ndarray | None = None, effects: str = "none") -> None:
    """Stop with the names of covariates that are constant after the effects or collinear."""
    scale = np.linalg.norm(raw - raw.mean(axis=0), axis=0) if raw is not None else np.linalg.norm(X, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    norms = np.linalg.norm(X, axis=0)
    flat = [n for n, s, r in zip(names, norms, scale) if s <= 1e-10 * r or s == 0]
    if flat:
        what = {
            "unit": "within units (time-invariant)",
            "time": "within periods",
            "twoways": "after unit and time effects",
            "none": "over the panel",
        }[effects]
        raise InputError(
            f"econometrics: covariate(s) {flat} have no variation {what}; drop them or change the fixed effects"
        )
    Z = X / norms
    kept: list[int] = []
    dependent = []
    for j in range(Z.shape[1]):
        if kept:
            coef = np.linalg.lstsq(Z[:, kept], Z[:, j], rcond=None)[0]
            if np.linalg.norm(Z[:, j] - Z[:, kept] @ coef) < 1e-7:
                parts = [names[kept[i]] for i in np.nonzero(np.abs(coef) > 1e-6)[0]]
                dependent.append(f"{names[j]} is a linear combination of {parts}")
                continue
        kept.append(j)
    if dependent:
        raise InputError(
            f"econometrics: collinear covariates: {'; '.join(dependent)}"
            f"{' after the ' + effects + ' fixed effects' if effects != 'none' else ''}; drop one of them"
        )
