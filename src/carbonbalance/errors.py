"""Exception types.  Every message names the file, variable, unit or row at fault."""


class CarbonBalanceError(Exception):
    """Base class of all errors raised deliberately by carbonbalance."""


class InputError(CarbonBalanceError, ValueError):
    """An input file or table is missing, malformed or implausible."""


class ConfigError(CarbonBalanceError, ValueError):
    """A configuration value is missing or inconsistent."""
