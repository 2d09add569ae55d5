"""The numba kernels of the improved CASA (SPEC §3): monthly NPP, RH and NEP of a block.

Numbers and units
-----------------
Inputs per cell and month: NDVI (1), mean air temperature T (°C), precipitation P
(mm month⁻¹), total solar radiation SOL (MJ m⁻² month⁻¹) and the CASA vegetation type
of the cell.  Outputs per month: FPAR (1), Tε1, Tε2, Wε (1), Thornthwaite Ep0, net
radiation Rn, actual E and potential Ep evapotranspiration (mm month⁻¹), ε (g C MJ⁻¹),
APAR (MJ m⁻² month⁻¹), NPP, RH and NEP (g C m⁻² month⁻¹).  Annual NPP, RH and NEP are
the sums over the 12 months (g C m⁻² yr⁻¹); Topt (°C) is the temperature of the month
in which the cell's NDVI peaks (the first such month on ties).  Where the SPEC's Tε1
quadratic turns negative (Topt < −24.7 °C or > 64.7 °C) the cell is counted
(``n_t_eps1_negative``); ``t_eps1_floor`` floors Tε1 at 0 there (off by default).

How the grid is computed
------------------------
One numba kernel (:func:`casa_block`, ``njit(nogil=True, cache=True)``) takes all 12
months of a block of cells and writes every monthly term plus the annual sums and
per-cell counters into one stacked array.  Cells without a vegetated type, with a
missing climate month or without any valid NDVI month are skipped and left NaN.
Dask drives the kernel over the chunks of lazily read inputs
(:func:`carbonbalance.casa.engine.casa_stacked`),
so the result does not depend on the chunk shape and memory is bounded by the chunk
size times the number of threads.  :func:`carbonbalance.casa.cell.run_cell` runs the
very same kernel on one cell.

NDVI limits
-----------
``percentile`` (default): per vegetation type, the 5th/95th percentiles of NDVI over all
valid cell-months of that type in the study area and year with NDVI > 0, from integer
histograms of bin width ``percentile_bin_width`` summed over chunks
(:mod:`carbonbalance.casa.histogram`, :func:`carbonbalance.casa.engine.ndvi_limits`).
The result is independent of chunking, and the error against the exact percentile
(numpy ``linear``) is at most one bin width (1e-4 NDVI by default).  Types with fewer
than ``min_percentile_samples`` samples fall back to the fixed table (logged).
``table``: the fixed per-type table of SPEC §3.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# --------------------------------------------------------------------------- kernels
#
# exp over short arrays, written so that LLVM vectorises it (AVX2/AVX-512), about 1.5x
# faster than numba's scalar libm math.exp here; accurate to a few units in the last
# place (tests compare with numpy at 1e-14).

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00


@numba.njit(nogil=True, cache=True)
def vexp(x, out, n, scratch):
    """out[:n] = exp(x[:n]) for |x| <= 700 (clamped); ``scratch`` is an int64 work array."""
    pw = scratch.view(np.float64)
    for i in range(n):
        xi = min(max(x[i], -700.0), 700.0)
        k = math.floor(xi * _INV_LN2 + 0.5)
        r = (xi - k * _LN2_HI) - k * _LN2_LO  # |r| <= ln2/2
        scratch[i] = (np.int64(k) + 1023) << 52  # 2^k as float64 bits
        p = 1.0 / 6227020800.0  # Taylor series to r^13 (error < 1e-17)
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        out[i] = p * r + 1.0
    for i in range(n):
        out[i] *= pw[i]


@numba.njit(nogil=True, cache=True)
def day_length_hours(lat_deg, doy):
    """Astronomical day length (FAO-56 eq. 25, 34) in hours at latitude and day of year."""
    phi = lat_deg * math.pi / 180.0
    delta = 0.409 * math.sin(2.0 * math.pi * doy / 365.0 - 1.39)
    x = -math.tan(phi) * math.tan(delta)
    if x > 1.0:
        x = 1.0
    elif x < -1.0:
        x = -1.0
    return 24.0 / math.pi * math.acos(x)


@numba.njit(nogil=True, cache=True)
def _clamp(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


@numba.njit(nogil=True, cache=True)
def casa_block(ndvi, temp, prec, sol, vtype, lat, days, doy, k, slots, out):
    """CASA on one block: all 12 months of ``ny x nx`` cells.

    ndvi, temp, prec, sol : (12, ny, nx) float arrays (NaN = missing)
    vtype : (ny, nx) int8, CASA type index into :data:`TYPES`, -1 non-vegetated, -2 no data
    lat : (ny, nx) latitude in degrees (used only when ``correction``)
    days, doy : (12,) days in month and mid-month day of year (used only when ``correction``)
    k : :class:`~carbonbalance.casa.params.KernelScalars` (NDVI limits and εmax per type, the
        FPAR bounds, α, the PAR share, Tε2's constant and the switches), from
        :meth:`CasaParams.kernel_scalars <carbonbalance.casa.params.CasaParams.kernel_scalars>`
    slots : (13,) int64, output position of each of :data:`MONTHLY_TERMS` (-1 = not kept)
    out : (n_kept * 12 + len(ANNUAL_TERMS), ny, nx) float array, filled here (the kept
          monthly terms first, month-major within a term, then :data:`ANNUAL_TERMS`)

    Layout of the work: row by row; the cells of a row that are computed are gathered
    into short contiguous buffers, and each month is a sequence of small loops over them
    (FPAR, temperature stress, Ep0, water stress, RH, NPP).  Small loop bodies let the
    CPU overlap consecutive cells (one long body per cell-month was latency-bound on
    its chain of divisions), and every array is touched in contiguous runs (the layers
    of ``out`` are a power of two apart for power-of-two chunks, so touching them cell
    by cell thrashed the cache).
    """
    ndvi_min, ndvi_max, eps_max = k.ndvi_min, k.ndvi_max, k.eps_max
    fpar_min, fpar_max, alpha, par_share = k.fpar_min, k.fpar_max, k.alpha, k.par_share
    t2_const, half_rule, clamp_w, correction = k.t2_const, k.half_rule, k.clamp_w, k.correction
    fill_missing_ndvi, npp_month_max, floor_te1 = k.fill_missing_ndvi, k.npp_month_max, k.floor_te1
    nm = 13  # len(MONTHLY_TERMS)
    a0 = 0
    for q in range(nm):
        if slots[q] >= 0:
            a0 += 12
    ny = vtype.shape[0]
    nx = vtype.shape[1]
    nan = np.nan
    fspan = fpar_max - fpar_min
    ln5 = math.log(5.0)
    ln10 = math.log(10.0)
    # Tε2 at T = Topt does not depend on Topt: the half-rule value
    te2_half = 0.5 * t2_const / (1.0 + math.exp(-2.0)) / (1.0 + math.exp(-3.0))
    # per-type constants of FPAR
    nt = ndvi_min.shape[0]
    sr_lo = np.empty(nt)
    sr_hi = np.empty(nt)
    ndvi_gain = np.empty(nt)
    sr_gain = np.empty(nt)
    for k in range(nt):
        sr_lo[k] = (1.0 + ndvi_min[k]) / (1.0 - ndvi_min[k])
        sr_hi[k] = (1.0 + ndvi_max[k]) / (1.0 - ndvi_max[k])
        ndvi_gain[k] = fspan / (ndvi_max[k] - ndvi_min[k])
        sr_gain[k] = fspan / (sr_hi[k] - sr_lo[k])
    # row buffers, padded so that rows of 2-D buffers are not a power of two bytes apart
    w = nx + 9
    status = np.empty(nx, dtype=np.int64)
    best = np.empty(nx)
    topt_row = np.empty(nx)
    nmiss = np.empty(nx, dtype=np.int64)
    col = np.empty(nx, dtype=np.int64)  # column of the n-th computed cell of the row
    kk = np.empty(nx, dtype=np.int64)  # its type
    topt = np.empty(nx)
    heat = np.empty(nx)
    expo = np.empty(nx)
    ln_heat = np.empty(nx)
    te1b = np.empty(nx)
    e2a = np.empty(nx)
    e2b = np.empty(nx)
    ln_t = np.empty((12, w))  # log T of months with T > 0 (row layout)
    tb = np.empty(w)
    xb = np.empty(w)
    yb = np.empty(w)
    zb = np.empty(w)
    scratch = np.empty(w, dtype=np.int64)
    pb = np.empty(w)
    sb = np.empty(w)
    vb = np.empty(w)
    ann = np.empty((11, w))
    buf = np.empty((nm, w))
    for i in range(ny):
        # ---- pass 1: type, complete climate, NDVI peak month (-> Topt), heat index
        for j in range(nx):
            k = vtype[i, j]
            status[j] = 0 if k >= 0 else (1 if k == -1 else 2)
            best[j] = -np.inf
            topt_row[j] = nan
            nmiss[j] = 0
        for m in range(12):
            for j in range(nx):
                if status[j] != 0:
                    continue
                t = temp[m, i, j]
                if not (math.isfinite(t) and math.isfinite(prec[m, i, j]) and math.isfinite(sol[m, i, j])):
                    status[j] = 3
                    continue
                v = ndvi[m, i, j]
                if math.isfinite(v):
                    if v > best[j]:
                        best[j] = v
                        topt_row[j] = t
                else:
                    nmiss[j] += 1
        nv = 0
        for j in range(nx):
            if status[j] == 0:
                if best[j] == -np.inf:
                    status[j] = 4
                elif nmiss[j] > 0 and not fill_missing_ndvi:
                    status[j] = 5
            if status[j] == 0:
                col[nv] = j
                nv += 1
        # ---- ln T of every month and the heat index I = sum over T > 0 of (T/5)^1.514
        for n in range(nv):
            heat[n] = 0.0
        for m in range(12):
            for n in range(nv):
                tb[n] = temp[m, i, col[n]]
            for n in range(nv):
                ln_t[m, n] = math.log(tb[n]) if tb[n] > 0.0 else -700.0
            for n in range(nv):
                xb[n] = 1.514 * (ln_t[m, n] - ln5)
            vexp(xb, yb, nv, scratch)
            for n in range(nv):
                if tb[n] > 0.0:
                    heat[n] += yb[n]
        for q in range(11):
            for n in range(nv):
                ann[q, n] = 0.0
        # ---- per computed cell: Topt terms, Thornthwaite exponent
        for n in range(nv):
            j = col[n]
            kk[n] = vtype[i, j]
            to = topt_row[j]
            h = heat[n]
            topt[n] = to
            expo[n] = 6.75e-7 * h**3 - 7.71e-5 * h**2 + 1.792e-2 * h + 0.49239
            ln_heat[n] = math.log(h) if h > 0.0 else 0.0
            # the quadratic turns negative for Topt < -24.7 or > 64.7 °C: counted, and
            # floored at 0 with t_eps1_floor (off by default, as in the SPEC)
            te1 = 0.8 + 0.02 * to - 0.0005 * to * to
            te1b[n] = max(0.0, te1) if floor_te1 else te1
            if te1 < 0.0:
                ann[10, n] = 1.0
            # Tε2 = C / (1 + exp(0.2 (Topt - 10 - T))) / (1 + exp(0.3 (T - Topt - 10))) with
            # exp(0.2 (Topt - 10 - T)) = e2a v², exp(0.3 (T - Topt - 10)) = e2b / v³, v = exp(-0.1 T):
            # = C v³ / ((1 + e2a v²) (v³ + e2b)), one exp and one division per cell-month
            e2a[n] = math.exp(0.2 * (to - 10.0))
            e2b[n] = math.exp(-0.3 * (to + 10.0))
        # ---- pass 2: month by month over the computed cells
        for m in range(12):
            for n in range(nv):
                j = col[n]
                tb[n] = temp[m, i, j]
                pb[n] = prec[m, i, j]
                sb[n] = sol[m, i, j]
                vb[n] = ndvi[m, i, j]
            # FPAR
            for n in range(nv):
                k = kk[n]
                v = vb[n]
                lo = ndvi_min[k]
                hi = ndvi_max[k]
                if math.isfinite(v):
                    f_ndvi = _clamp((v - lo) * ndvi_gain[k] + fpar_min, fpar_min, fpar_max)
                    vc = _clamp(v, lo, hi)
                    sr = (1.0 + vc) / (1.0 - vc)
                    f_sr = _clamp((sr - sr_lo[k]) * sr_gain[k] + fpar_min, fpar_min, fpar_max)
                    buf[0, n] = _clamp(alpha * f_ndvi + (1.0 - alpha) * f_sr, fpar_min, fpar_max)
                else:
                    buf[0, n] = fpar_min
            # temperature stress
            for n in range(nv):
                t = tb[n]
                if t <= -10.0:
                    buf[1, n] = 0.0
                    ann[5, n] += 1.0
                else:
                    buf[1, n] = te1b[n]
            for n in range(nv):
                xb[n] = -0.1 * tb[n]
            vexp(xb, yb, nv, scratch)
            for n in range(nv):
                t = tb[n]
                to = topt[n]
                v1 = yb[n]
                v3 = v1 * v1 * v1
                te2 = t2_const * v3 / ((1.0 + e2a[n] * v1 * v1) * (v3 + e2b[n]))
                if half_rule and (t - to > 10.0 or to - t > 13.0):
                    te2 = te2_half
                buf[2, n] = te2
            # Thornthwaite Ep0, 16 (10 T / I)^a
            for n in range(nv):
                xb[n] = expo[n] * (ln10 + ln_t[m, n] - ln_heat[n])
            vexp(xb, yb, nv, scratch)
            for n in range(nv):
                # heat == 0 only if every T > 0 underflows
                buf[4, n] = 16.0 * yb[n] if (tb[n] > 0.0 and heat[n] > 0.0) else 0.0
            if correction:
                for n in range(nv):
                    buf[4, n] *= day_length_hours(lat[i, col[n]], doy[m]) / 12.0 * days[m] / 30.0
            # net radiation, actual and potential ET, water stress
            for n in range(nv):
                p = pb[n]
                ep0 = buf[4, n]
                rn = 0.369 * math.sqrt(ep0 * p) + 0.598 * ep0
                if p > 0.0 and rn > 0.0:
                    e = p * rn * (p * p + rn * rn + p * rn) / ((p + rn) * (p * p + rn * rn))
                else:
                    e = 0.0
                ep = 0.5 * (e + ep0)
                if ep == 0.0:
                    wv = 1.0
                    ann[6, n] += 1.0
                else:
                    wv = 0.5 + 0.5 * e / ep
                    if clamp_w:
                        wv = _clamp(wv, 0.5, 1.0)
                if p == 0.0:
                    ann[7, n] += 1.0
                buf[3, n] = wv
                buf[5, n] = rn
                buf[6, n] = e
                buf[7, n] = ep
            # heterotrophic respiration (Fan2024)
            for n in range(nv):
                xb[n] = 0.0913 * tb[n]
                zb[n] = 0.3145 * pb[n] + 1.0
            vexp(xb, yb, nv, scratch)
            for n in range(nv):
                buf[11, n] = 0.22 * (yb[n] + math.log(zb[n])) * 30.0 * 0.465
            # light use efficiency, APAR, NPP, NEP
            for n in range(nv):
                eps = buf[1, n] * buf[2, n] * buf[3, n] * eps_max[kk[n]]
                apar = sb[n] * buf[0, n] * par_share
                npp = apar * eps
                buf[8, n] = eps
                buf[9, n] = apar
                buf[10, n] = npp
                buf[12, n] = npp - buf[11, n]
                ann[0, n] += npp
                ann[1, n] += buf[11, n]
                if npp > npp_month_max:
                    ann[9, n] += 1.0
            # the kept monthly terms: NaN, then the computed cells
            for q in range(nm):
                sq = slots[q]
                if sq >= 0:
                    for j in range(nx):
                        out[sq * 12 + m, i, j] = nan
                    for n in range(nv):
                        out[sq * 12 + m, i, col[n]] = buf[q, n]
        # ---- annual sums, Topt, status and counters, one layer at a time
        for q in range(4):
            for j in range(nx):
                out[a0 + q, i, j] = nan
        for q in range(4, 11):
            for j in range(nx):
                out[a0 + q, i, j] = 0.0
        for j in range(nx):
            out[a0 + 4, i, j] = status[j]
        for n in range(nv):
            j = col[n]
            out[a0 + 0, i, j] = ann[0, n]
        for n in range(nv):
            j = col[n]
            out[a0 + 1, i, j] = ann[1, n]
        for n in range(nv):
            j = col[n]
            out[a0 + 2, i, j] = ann[0, n] - ann[1, n]
        for n in range(nv):
            j = col[n]
            out[a0 + 3, i, j] = topt[n]
        for q in (5, 6, 7, 9, 10):
            for n in range(nv):
                out[a0 + q, i, col[n]] = ann[q, n]
        for n in range(nv):
            out[a0 + 8, i, col[n]] = nmiss[col[n]]


@numba.njit(nogil=True, cache=True)
def member_annual(te1, te2, w_eps, apar, rh, vtype, eps_max, out):
    """Annual NPP, RH and NEP of several εmax tables from one run's monthly terms.

    te1, te2, w_eps, apar : (12, ny, nx) float64 monthly Tε1, Tε2, Wε and APAR of
        :func:`casa_block` (NaN where a cell is not computed)
    rh : (ny, nx) float64 annual RH of that run (it does not depend on εmax)
    vtype : (ny, nx) int8 CASA type index
    eps_max : (n_members, n_types) εmax of each member, g C MJ⁻¹
    out : (n_members, 3, ny, nx) float32: annual NPP, RH and NEP (g C m⁻² yr⁻¹)

    The products and sums run in the order of :func:`casa_block` (ε = Tε1 Tε2 Wε εmax,
    NPP = APAR ε summed over the months from 0, NEP = NPP − RH), so a member equals a
    separate run with its εmax bit for bit.
    """
    nm = eps_max.shape[0]
    ny = vtype.shape[0]
    nx = vtype.shape[1]
    for i in range(ny):
        for j in range(nx):
            k = vtype[i, j]
            r = rh[i, j]
            if k < 0 or not math.isfinite(r):
                for b in range(nm):
                    for q in range(3):
                        out[b, q, i, j] = np.nan
                continue
            for b in range(nm):
                s = 0.0
                e_max = eps_max[b, k]
                for m in range(12):
                    eps = te1[m, i, j] * te2[m, i, j] * w_eps[m, i, j] * e_max
                    s += apar[m, i, j] * eps
                out[b, 0, i, j] = s
                out[b, 1, i, j] = r
                out[b, 2, i, j] = s - r
