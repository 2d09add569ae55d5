"""The members of an ensemble (SPEC §9) and what each one changes.

A member is a set of config overrides on the run's config: ``baseline`` (none), the named
``variants`` of ``ensemble.variants`` (any choice of the sections below), ``drawNNN`` Monte
Carlo draws of the coefficients of ``ensemble.coefficients`` from their distributions, and
``oat_<coefficient>_low|high``: one coefficient at the 5th or 95th percentile of its
distribution, everything else at the baseline (the one-at-a-time sensitivity).

Which stages a member reruns follows from the keys it changes (:data:`STAGE_KEYS`) and the
stages downstream of them (:data:`UPSTREAM`): a member that changes only the zoning rules
reuses every raster and zonal output of the baseline; one that changes εmax reruns CASA and
what follows, never the alignment.

Needs only the standard library: the workflow builds the members while it loads.
"""

from __future__ import annotations

import copy
import random
import re
import statistics

from carbonbalance.ensemble.params import EnsembleParams
from carbonbalance.errors import ConfigError

BASELINE = "baseline"

#: config keys (dotted prefixes) each stage reads; ``-`` excludes a sub-key
STAGE_KEYS = {
    "casa": ("casa", "landcover_classes"),
    "emissions": ("emissions", "-emissions.energy", "-emissions.absorption", "zonal.mode", "landuse_classes"),
    "energy_accounting": ("emissions.energy",),
    "landuse_absorption": ("emissions.absorption", "zonal.mode"),
    "zonal": ("zonal.mode", "landuse_classes"),
    "tables": ("tables",),
    "analysis": ("analysis",),
}
#: stages whose outputs each stage reads
UPSTREAM = {
    "casa": (),
    "emissions": (),
    "energy_accounting": (),
    "landuse_absorption": (),
    "zonal": ("casa", "emissions"),
    "tables": ("zonal", "energy_accounting", "landuse_absorption"),
    "analysis": ("tables",),
}
#: the analysis keys a member may change (what ensemble_summary recomputes per member)
ANALYSIS_KEYS = ("weights",)
#: top-level config sections a member may change
SECTIONS = ("casa", "landcover_classes", "emissions", "landuse_classes", "zonal", "tables", "analysis")
#: coefficients that can be drawn (dotted prefixes; a mapping draws each of its numbers)
DRAWABLE = (
    "casa.eps_max",
    "emissions.energy.sigma",
    "emissions.energy.theta_tc_per_person",
    "emissions.absorption.coefficients_tc_per_hm2",
    "tables.compensation.price_min_yuan_per_t",
    "tables.compensation.price_max_yuan_per_t",
    "tables.compensation.exchange_rate_yuan_per_usd",
)
DISTRIBUTIONS = ("uniform", "normal", "triangular")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
RESERVED = re.compile(rf"^({BASELINE}|draw\d+|oat_.*)$")
#: standard normal quantile of 0.95 (the one-at-a-time ends of a normal distribution)
Z95 = statistics.NormalDist().inv_cdf(0.95)


class EnsembleError(ValueError):
    """An ``ensemble`` config entry that cannot be used; the message names the key."""


def flatten(tree: dict, prefix: str = "") -> dict:
    """{dotted key: leaf value} of a nested mapping."""
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out |= flatten(v, key + ".")
        else:
            out[key] = v
    return out


def nest(flat: dict) -> dict:
    """The nested mapping of {dotted key: value}."""
    out: dict = {}
    for key, v in flat.items():
        node = out
        *head, last = key.split(".")
        for k in head:
            node = node.setdefault(k, {})
        node[last] = v
    return out


def merged(config: dict, overrides: dict) -> dict:
    """The config of a member: ``overrides`` layered on a copy of ``config`` (nested mappings merged)."""
    out = copy.deepcopy(config)

    def put(node, new):
        for k, v in new.items():
            if isinstance(v, dict) and isinstance(node.get(k), dict):
                put(node[k], v)
            else:
                node[k] = copy.deepcopy(v)

    put(out, overrides)
    return out


def lookup(config: dict, key: str):
    node = config
    for k in key.split("."):
        if not isinstance(node, dict) or k not in node:
            raise KeyError(key)
        node = node[k]
    return node


def _reads(stage: str, key: str) -> bool:
    keys = STAGE_KEYS[stage]
    hit = any(key == k or key.startswith(k + ".") for k in keys if not k.startswith("-"))
    out = any(key == k[1:] or key.startswith(k[1:] + ".") for k in keys if k.startswith("-"))
    return hit and not out


def changed_keys(config: dict, member_config: dict) -> list[str]:
    """Dotted keys whose value in ``member_config`` differs from ``config`` (sections of :data:`SECTIONS`)."""
    a = flatten({s: config.get(s, {}) for s in SECTIONS})
    b = flatten({s: member_config.get(s, {}) for s in SECTIONS})
    return sorted(k for k in set(a) | set(b) if a.get(k, None) != b.get(k, None))


def changed_stages(keys) -> set[str]:
    """Stages that read any of ``keys`` directly."""
    return {s for s in STAGE_KEYS for k in keys if _reads(s, k)}


def rerun_stages(keys) -> set[str]:
    """Stages a member with these changed keys reruns: those that read them and everything downstream."""
    out = changed_stages(keys)
    grew = True
    while grew:
        grew = False
        for s, ups in UPSTREAM.items():
            if s not in out and any(u in out for u in ups):
                out.add(s)
                grew = True
    return out


def _check_overrides(name: str, overrides: dict, where: str) -> None:
    if not isinstance(overrides, dict):
        raise EnsembleError(f"{where}: a variant is a mapping of config overrides, not {type(overrides).__name__}")
    for section in overrides:
        if section not in SECTIONS:
            raise EnsembleError(
                f"{where}.{section}: a member may change only {', '.join(SECTIONS)}; members share the run's "
                f"inputs, grid, boundaries, statistics and years"
            )
    extra = sorted(set(overrides.get("analysis") or {}) - set(ANALYSIS_KEYS))
    if extra:  # anything else would be accepted and have no effect
        raise EnsembleError(
            f"{where}.analysis.{extra[0]}: of the analysis a member may change only "
            f"{', '.join(ANALYSIS_KEYS)} (the summary computes global Moran's I with each member's W and the "
            f"Dagum Gini of the run's analysis.variables and group_column)"
        )


def _draw(rng: random.Random, spec: dict, centre: float) -> float:
    kind = spec.get("distribution", "uniform")
    if "relative" in spec:
        r = float(spec["relative"])
        lo, hi, sd = centre * (1 - r), centre * (1 + r), abs(centre) * r
    else:
        lo, hi = float(spec.get("low", centre)), float(spec.get("high", centre))
        sd = float(spec.get("sd", 0.0))
    if kind == "uniform":
        return rng.uniform(lo, hi)
    if kind == "triangular":
        return rng.triangular(min(lo, hi), max(lo, hi), centre)
    return rng.gauss(centre, sd)


def quantile(spec: dict, centre: float, q: float) -> float:
    """The ``q`` quantile (0.05 or 0.95) of a coefficient's distribution around ``centre``."""
    kind = spec.get("distribution", "uniform")
    if "relative" in spec:
        r = float(spec["relative"])
        lo, hi, sd = centre * (1 - r), centre * (1 + r), abs(centre) * r
        lo, hi = min(lo, hi), max(lo, hi)
    else:
        lo, hi = float(spec.get("low", centre)), float(spec.get("high", centre))
        sd = float(spec.get("sd", 0.0))
    if kind == "uniform":
        return lo + q * (hi - lo)
    if kind == "triangular":
        c = (centre - lo) / (hi - lo) if hi > lo else 0.5
        if q <= c:
            return lo + ((hi - lo) * (centre - lo) * q) ** 0.5
        return hi - ((hi - lo) * (hi - centre) * (1 - q)) ** 0.5
    return centre + sd * (Z95 if q > 0.5 else -Z95)


def _check_coefficient(key: str, spec, config: dict) -> dict:
    where = f"ensemble.coefficients.{key}"
    if not any(key == d or key.startswith(d + ".") for d in DRAWABLE):
        raise EnsembleError(f"{where}: only {', '.join(DRAWABLE)} can be drawn; make other choices variants")
    if not isinstance(spec, dict):
        raise EnsembleError(f"{where}: a distribution is a mapping such as {{distribution: uniform, relative: 0.15}}")
    kind = spec.get("distribution", "uniform")
    if kind not in DISTRIBUTIONS:
        raise EnsembleError(f"{where}.distribution: {kind!r} is not one of {list(DISTRIBUTIONS)}")
    given = set(spec) - {"distribution"}
    if given == {"relative"}:
        if not 0 < float(spec["relative"]) < 1:
            raise EnsembleError(f"{where}.relative: {spec['relative']} must lie between 0 and 1 (a share of the value)")
    elif kind == "normal" and given != {"sd"}:
        raise EnsembleError(f"{where}: a normal distribution takes relative (a share of the value) or sd")
    elif kind != "normal" and given != {"low", "high"}:
        raise EnsembleError(f"{where}: a {kind} distribution takes relative (a share of the value) or low and high")
    try:
        value = lookup(config, key)
    except KeyError:
        raise EnsembleError(f"{where}: the run's config has no key {key!r}") from None
    leaves = flatten(value, key + ".") if isinstance(value, dict) else {key: value}
    bad = [k for k, v in leaves.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad:
        raise EnsembleError(f"{where}: {bad[0]} is not a number")
    if len(leaves) > 1 and "relative" not in spec:
        raise EnsembleError(f"{where}: a mapping of coefficients is drawn with relative (each around its own value)")
    return leaves


def build_members(config: dict) -> dict:
    """{member name: {"kind", "overrides" (nested), "draws" ({dotted key: value}), "changed",
    "stages"}} of the config's ``ensemble`` section, the baseline first; {} without an ensemble.

    Draws are reproducible: member n's values come from ``random.Random(seed)`` in the order
    members, then coefficients by name, then their entries by name."""
    try:
        ens = EnsembleParams.from_config(config.get("ensemble"))
    except ConfigError as exc:
        raise EnsembleError(str(exc)) from None
    variants, coefficients, n = ens.variants, ens.coefficients, int(ens.draws)
    if not ens.enabled:
        return {}
    if n and not coefficients:
        raise EnsembleError("ensemble.draws: draws need ensemble.coefficients (the distributions to draw from)")
    members = {BASELINE: {"kind": "baseline", "overrides": {}, "draws": {}}}
    for name, overrides in variants.items():
        where = f"ensemble.variants.{name}"
        if not NAME.match(str(name)) or RESERVED.match(str(name)):
            raise EnsembleError(
                f"{where}: a variant name is lower-case letters, digits and _ and not baseline, drawNNN or oat_*"
            )
        _check_overrides(name, overrides or {}, where)
        members[name] = {"kind": "variant", "overrides": overrides or {}, "draws": {}}
    leaves = {key: _check_coefficient(key, spec, config) for key, spec in sorted(coefficients.items())}
    rng = random.Random(int(ens.seed))
    width = max(3, len(str(n)))
    for i in range(1, n + 1):
        draws = {}
        for key, spec in sorted(coefficients.items()):
            for leaf, centre in sorted(leaves[key].items()):
                draws[leaf] = _draw(rng, spec, float(centre))
        members[f"draw{i:0{width}d}"] = {"kind": "draw", "overrides": nest(draws), "draws": draws}
    if ens.one_at_a_time:
        for key, spec in sorted(coefficients.items()):
            for end, q in (("low", 0.05), ("high", 0.95)):
                draws = {leaf: quantile(spec, float(c), q) for leaf, c in sorted(leaves[key].items())}
                slug = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
                members[f"oat_{slug}_{end}"] = {"kind": "oat", "overrides": nest(draws), "draws": draws, "switch": key}
    for m in members.values():
        m["changed"] = changed_keys(config, merged(config, m["overrides"]))
        m["stages"] = sorted(rerun_stages(m["changed"]))
    return members


def eps_only(member: dict) -> bool:
    """A member whose only CASA change is εmax: computed with the batched CASA kernel."""
    casa_keys = [k for k in member["changed"] if _reads("casa", k)]
    return bool(casa_keys) and all(k.startswith("casa.eps_max.") for k in casa_keys)


def absorption_areas_change(member: dict) -> bool:
    """The member changes the land-use class areas behind the absorption (its classes or the
    zonal mode), so it reruns the absorption rule; changed coefficients λ alone rescale the
    baseline's areas."""
    return any(k.startswith("emissions.absorption.classes") or k == "zonal.mode" for k in member["changed"])


def zonal_layers(member: dict) -> list[str]:
    """What the member's zonal tables recompute: ``all`` (another zonal mode or land-use
    classes), else the layers of the stages it reruns (``casa``, ``emissions``); the rest of
    each row is the baseline's."""
    if any(_reads("zonal", k) for k in member["changed"]):
        return ["all"]
    return [s for s in ("casa", "emissions") if s in member["stages"]]
