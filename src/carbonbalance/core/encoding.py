"""Compact on-disk encodings of the gridded stores: dtype, CF packing and compression per variable.

A national year of aligned inputs and monthly CASA terms is some 12 GB as float32.  Each
variable here is stored as a CF-packed integer (``value = stored * scale_factor + add_offset``,
``_FillValue`` for no data) at a stated precision — half a packing step, the largest
difference between a stored and a computed value — chosen well below what the inputs
and the model resolve (NDVI to 1e-4, temperature to 0.005 °C, monthly NPP to 0.1 g C m⁻²).
Every Zarr reader that follows the CF conventions (xarray, GDAL, netCDF-Java) decodes them;
:func:`carbonbalance.core.store.open_store` returns them as float32 like before.

Variables without an entry (population and night light, whose totals are allocated, the
cell areas, the class layers) keep their dtype and are stored losslessly.  Every array
is compressed with zstd after a byte shuffle (a bit shuffle for NDVI, see :func:`compressors`).

A value outside a packing's range is never clipped silently: the writer counts it, stores
no data there, and the stage stops naming the variable (see :class:`PackedWriter`).
"""

from __future__ import annotations

import dataclasses
import threading

import numba
import numpy as np


@dataclasses.dataclass(frozen=True)
class Packing:
    """CF packing of one variable: ``value = stored * scale + offset``; ``fill`` = no data."""

    dtype: str
    scale: float
    offset: float = 0.0
    #: noisy fields (NDVI) compress as well after a bit shuffle and 3x faster (:func:`compressors`)
    bitshuffle: bool = False
    #: zstd level (:func:`compressors`): 2 for the noisy CASA terms, 5 for the aligned climate
    #: fields whose size grows most at lower levels
    level: int = 3

    @property
    def fill(self) -> int:
        info = np.iinfo(self.dtype)
        return int(info.min) if info.min < 0 else int(info.max)

    @property
    def precision(self) -> float:
        """Largest difference between a value and its stored representation (half a step)."""
        return self.scale / 2.0

    @property
    def valid_range(self) -> tuple[float, float]:
        """Smallest and largest representable value (the fill code excluded)."""
        info = np.iinfo(self.dtype)
        lo, hi = int(info.min), int(info.max)
        if self.fill == lo:
            lo += 1
        else:
            hi -= 1
        return lo * self.scale + self.offset, hi * self.scale + self.offset

    def encoding(self) -> dict:
        """The xarray ``encoding`` entries of this packing."""
        fill = self.fill
        return {"dtype": self.dtype, "scale_factor": self.scale, "add_offset": self.offset, "_FillValue": fill,
                "fill_value": fill}  # fmt: skip

    def unpack(self, stored: np.ndarray, fill: int | None = None) -> np.ndarray:
        """float32 values of ``stored`` integers, NaN for the fill code (``fill``, by default
        :attr:`fill`): what :func:`carbonbalance.core.store.open_store` decodes
        (``float32(float64(q) * scale + offset)``, xarray's CF decoding), bit for bit, in one
        pass."""
        q = np.ascontiguousarray(stored)
        out = np.empty(q.shape, dtype="float32")
        code = self.fill if fill is None else int(fill)
        _unpack(q.reshape(-1), float(self.scale), float(self.offset), code, out.reshape(-1))
        return out

    def pack(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """(packed integers, number of values outside :attr:`valid_range` (±inf included), which
        are stored as no data)."""
        v = np.ascontiguousarray(values)
        if v.dtype not in (np.float32, np.float64):
            v = v.astype("float64")
        lo, hi = (float(np.rint((b - self.offset) / self.scale)) for b in self.valid_range)
        out = np.empty(v.shape, dtype=self.dtype)
        n = _pack(v.reshape(-1), float(self.offset), float(self.scale), lo, hi, self.fill, out.reshape(-1))
        return out, int(n)


@numba.njit(nogil=True, cache=True)
def _unpack(q, scale, offset, fill, out):
    """``float32(float64(q) * scale + offset)``, NaN for ``fill``."""
    for i in range(q.shape[0]):
        out[i] = np.nan if q[i] == fill else np.float32(np.float64(q[i]) * scale + offset)


@numba.njit(nogil=True, cache=True)
def _pack(v, offset, scale, lo, hi, fill, out):
    """``rint((v - offset) / scale)`` in float64, fill for NaN and for values outside [lo, hi]
    (counted); one pass, no temporaries."""
    outside = 0
    for i in range(v.shape[0]):
        x = float(v[i])
        if np.isnan(x):
            out[i] = fill
            continue
        q = np.rint((x - offset) / scale)
        if q < lo or q > hi:  # ±inf included
            out[i] = fill
            outside += 1
        else:
            out[i] = q
    return outside


#: Packing per store and variable: aligned inputs in canonical units, monthly CASA terms.
PACKINGS: dict[str, dict[str, Packing]] = {
    "aligned": {
        # ± 5e-5, MODIS's own step: at 1e-3 county NPP moved by up to 0.6 % on the demo
        # (through the NDVI percentile limits), at 1e-4 by 0.06 %
        "ndvi": Packing("int16", 1e-4, bitshuffle=True, level=4),
        "temperature": Packing("int16", 0.01, level=5),  # degC, [-327.67, 327.67], ± 0.005
        "precipitation": Packing("uint16", 0.1, level=5),  # mm month-1, [0, 6553.4], ± 0.05
        "radiation": Packing("uint16", 0.025, level=5),  # MJ m-2 month-1, [0, 1638.35], ± 0.0125
        "npp": Packing("int16", 0.2),  # g C m-2 yr-1 (an NPP product), [-6553.4, 6553.4], ± 0.1
    },
    "casa_monthly": {
        # diagnostics that no later stage reads (the annual grids keep float32); zstd 2 for
        # the noisy terms (FPAR, APAR, NPP, NEP: 2-3 % larger than at 5, 4 times faster), 3
        # for the smooth ones (:func:`compressors`)
        "fpar": Packing("int16", 1e-3, level=2),  # 1, ± 5e-4 (FPAR's own uncertainty is ~0.05)
        "t_eps1": Packing("int16", 1e-3),  # 1, ± 5e-4
        "t_eps2": Packing("int16", 1e-3),  # 1
        "w_eps": Packing("int16", 1e-3),  # 1
        "eps": Packing("int16", 1e-3),  # g C MJ-1
        "ep0": Packing("int16", 0.05),  # mm month-1, ± 1638
        "rn": Packing("int16", 0.05),  # mm month-1
        "e": Packing("int16", 0.05),  # mm month-1
        "ep": Packing("int16", 0.05),  # mm month-1
        "apar": Packing("int16", 0.05, level=2),  # MJ m-2 month-1
        # g C m-2 month-1, [-6553.4, 6553.4], ± 0.1
        "npp": Packing("int16", 0.2, level=2),
        "rh": Packing("int16", 0.2),
        "nep": Packing("int16", 0.2, level=2),
    },
}


def packing(variable: str, store: str = "aligned") -> Packing | None:
    """The packing of ``variable`` in a ``store`` (``aligned`` or ``casa_monthly``); None: stored
    as computed, losslessly."""
    return PACKINGS[store].get(variable)


def compressors(bitshuffle: bool = False, level: int = 3) -> list:
    """zstd after a shuffle (Blosc): a byte shuffle (the default), or a bit shuffle for noisy
    fields.  Measured on national 512 x 512 blocks (ratio, speed):

    ============  =================  =================  =================
    field         byte, level 5      byte, level 3      bit, level 4
    ============  =================  =================  =================
    NDVI          1.65, 55 MB/s      1.60, 189 MB/s     1.63, 307 MB/s
    temperature   11.7, 103 MB/s     10.7, 316 MB/s     7.2, 124 MB/s
    monthly NPP   3.17, 130 MB/s     3.13, 252 MB/s     2.93, 368 MB/s
    population    3.40, 48 MB/s      3.18, 130 MB/s     1.89, 90 MB/s
    ============  =================  =================  =================

    A year of national monthly CASA terms (12 x 5,515 x 4,834 int16 each, one thread):

    ============  ====================  ====================  ====================
    term          byte, level 5         byte, level 3         byte, level 2
    ============  ====================  ====================  ====================
    fpar          160.9 MB, 7.1 s       164.9 MB, 3.8 s       165.0 MB, 1.8 s
    npp           120.3 MB, 6.0 s       123.4 MB, 3.2 s       123.4 MB, 1.5 s
    nep           125.4 MB, 6.7 s       128.9 MB, 3.5 s       129.4 MB, 1.6 s
    eps           44.9 MB, 6.8 s        50.0 MB, 2.5 s        52.7 MB, 1.3 s
    t_eps1        25.8 MB, 5.0 s        29.2 MB, 1.8 s        30.5 MB, 1.0 s
    rh            9.7 MB, 2.9 s         12.1 MB, 1.2 s        12.5 MB, 0.7 s
    temperature   45.9 MB, 6.7 s        49.8 MB, 2.5 s        54.8 MB, 1.1 s
    radiation     50.0 MB, 7.0 s        59.3 MB, 2.5 s        70.8 MB, 1.5 s
    ============  ====================  ====================  ====================

    Hence level 2 for the noisy terms and 3 for the smooth ones: ``casa_monthly.zarr`` 560
    MB a year instead of 531 MB, the national CASA job 43.8 s instead of 59.4 s (2026-12-02);
    the aligned climate fields stay at 5, where the lower levels cost more disk for less time
    (temperature at 3: 4 MB more, no change in the alignment's wall time).  A bit shuffle at
    zstd 1 for the noisy terms (tried on 2026-12-01) is smaller for none of them.

    Each packed variable states its choice (:class:`Packing`); unpacked ones use the default.
    """
    from zarr.codecs import BloscCodec, BloscShuffle

    shuffle = BloscShuffle.bitshuffle if bitshuffle else BloscShuffle.shuffle
    return [BloscCodec(cname="zstd", clevel=int(level), shuffle=shuffle)]


def packing_of(attrs: dict, dtype, fill) -> Packing | None:
    """The packing a stored array declares in its attributes (None if not packed)."""
    if "scale_factor" not in attrs and "add_offset" not in attrs:
        return None
    return Packing(str(np.dtype(dtype)), float(attrs.get("scale_factor", 1.0)), float(attrs.get("add_offset", 0.0)))


class PackedWriter:
    """``target[rows, cols] = values`` into a Zarr array, packing values as the array declares.

    Values outside the packing's range are stored as no data and counted in
    :attr:`outside` (thread-safe); the caller raises naming the variable.
    """

    def __init__(self, array, name: str = ""):
        self.array = array
        self.name = name
        self.packing = packing_of(dict(array.attrs), array.dtype, array.fill_value)
        self.outside = 0
        self._lock = threading.Lock()
        self.shape = array.shape
        self.dtype = array.dtype
        self.ndim = array.ndim

    def __setitem__(self, key, values):
        if self.packing is None:
            self.array[key] = values
            return
        packed, n = self.packing.pack(values)
        self.array[key] = packed
        if n:
            with self._lock:
                self.outside += n

    def check(self, where: str) -> None:
        """Raise when values fell outside the packing's range (naming ``where`` and the range)."""
        if self.outside:
            from carbonbalance.errors import InputError

            lo, hi = self.packing.valid_range
            units = self.array.attrs.get("units", "")
            raise InputError(
                f"{where}: {self.outside} value(s) of {self.name} lie outside [{lo:g}, {hi:g}] {units}, the range "
                f"of its compact encoding ({self.packing.dtype} x {self.packing.scale:g}); such values are not "
                f"plausible for {self.name} (check the input's units and scale)"
            )
