"""The one error type the CLI turns into a clean message and a non-zero exit."""


class SyncError(Exception):
    """A failure the user can act on; printed without a traceback."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
