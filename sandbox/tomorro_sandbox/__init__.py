"""tomorro-sandbox: a faithful local emulator of the Tomorro public API v2, with fault injection."""

from .process import SandboxProcess
from .server import SandboxServer

__all__ = ["SandboxServer", "SandboxProcess"]
