"""Rules about OTP processes: what runs in GenServer callbacks, how processes are started and supervised.

Importing this package registers its rules.
"""

from __future__ import annotations

from . import callbacks, supervision  # noqa: F401  (registers the rules)
