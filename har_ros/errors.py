"""One exception hierarchy for the whole package.

Every error har_ros raises on purpose derives from :class:`HarRosError`, so callers (nodes,
CLI) can catch the package's own failures without swallowing programming errors.
"""


class HarRosError(Exception):
    """Base class of every error raised on purpose by har_ros."""


class ConfigError(HarRosError):
    """A parameter or configuration value is invalid; the message says what to change."""


class InputError(HarRosError):
    """One input item (message, frame, file row) is malformed; it is skipped, not fatal."""


class DataError(HarRosError):
    """A dataset or recording file is missing, truncated or in the wrong format."""


class CheckpointError(HarRosError):
    """A model checkpoint is missing, corrupt, unsafe or does not match what is asked."""


class BackendUnavailableError(HarRosError):
    """A pose backend cannot run here (module not installed, weights missing)."""
