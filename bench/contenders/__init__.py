"""Contenders: each one runs in a fresh subprocess (see bench/measure.py)."""

from .destinations import DESTINATION_CONTENDERS
from .sources import SOURCE_CONTENDERS

ALL = {**SOURCE_CONTENDERS, **DESTINATION_CONTENDERS}
