"""Local launcher for the manifest-only source-tomorro connector (see run.py)."""
