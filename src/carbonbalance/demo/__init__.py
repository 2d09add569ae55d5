"""The embedded demo region (``make demo``): deterministic, realistic-looking inputs for
every stage, written by :func:`generate` only below its own folder (see
:mod:`carbonbalance.demo.manifest`).

Modules: :mod:`~carbonbalance.demo.geometry` (the nested units), :mod:`~carbonbalance.demo.fields`
(analytic geography), :mod:`~carbonbalance.demo.inputs` (the files), and
:mod:`~carbonbalance.demo.manifest` (which files the generator created; standard library
only, so that the workflow can check it while it loads).
"""

_PUBLIC = {
    "generate": "carbonbalance.demo.inputs",
    "output_paths": "carbonbalance.demo.inputs",
    "make_boundaries": "carbonbalance.demo.geometry",
}


def __getattr__(name):  # lazy: importing the package must not need its heavy dependencies
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'carbonbalance.demo' has no attribute {name!r}")


__all__ = list(_PUBLIC)
