"""`.beamsage.toml`: which rules run, how severe they are, what fails CI.

    select = ["Security", "Source"]        # ids or families; default: all
    ignore = ["Security.CodeEvaluation"]   # wins over select
    exclude = ["lib/my_app/generated/**"]  # globs, root-relative
    fail-on = "warning"                    # info | warning | error
    min-confidence = "medium"              # low | medium | high
    max-file-size = 2097152                # bytes; larger files are skipped
    migrations-start-after = 20240101000000  # Migration rules judge only newer migrations
    privileged-fields = ["plan", "credit_limit"]  # more fields Security.MassAssignment guards
    max-test-file-lines = 400              # Tests.FileTooLong: longer test files are reported

    [severity]
    "Security.UnsafeAtomConversion" = "error"
    Source = "info"                        # a whole family
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

from ..model.ecto.migrations import migration_version
from ..rules import Confidence, Finding, Severity, is_known_rule_name

CONFIG_FILE = ".beamsage.toml"


class ConfigError(Exception):
    """A configuration problem, worded for the user (file and problem)."""


class Config(msgspec.Struct, forbid_unknown_fields=True, rename="kebab", frozen=True):
    select: list[str] | None = None
    ignore: list[str] = []
    exclude: list[str] = []
    fail_on: Severity = Severity.WARNING
    min_confidence: Confidence = Confidence.MEDIUM
    max_file_size: int = 2 * 1024 * 1024
    # Migrations at or before this version have run everywhere: what they did
    # to production is history, so the Migration rules leave them alone.
    migrations_start_after: int | None = None
    # Schema fields users must never set from a form, beyond the built-in list.
    privileged_fields: list[str] = []
    # Tests.FileTooLong reports test files with more lines than this.
    max_test_file_lines: int = 400
    severity: dict[str, Severity] = {}

    def enabled(self, rule_id: str) -> bool:
        if any(_matches(name, rule_id) for name in self.ignore):
            return False
        return self.select is None or any(_matches(name, rule_id) for name in self.select)

    def severity_of(self, finding: Finding) -> Severity:
        return self.severity.get(finding.rule) or self.severity.get(finding.family) or finding.severity

    def keeps(self, finding: Finding) -> bool:
        """Whether a finding passes rule selection, the confidence floor and
        `migrations-start-after`."""
        return (
            self.enabled(finding.rule)
            and finding.confidence.rank >= self.min_confidence.rank
            and not self._retired(finding)
        )

    def _retired(self, finding: Finding) -> bool:
        if self.migrations_start_after is None or finding.family != "Migration":
            return False
        version = migration_version(finding.location.path)
        return version is not None and version <= self.migrations_start_after

    def override(self, **changes) -> Config:
        """A copy with command-line options applied (None means "not given")."""
        given = {key: value for key, value in changes.items() if value is not None}
        if "exclude" in given:
            given["exclude"] = [*self.exclude, *given["exclude"]]
        config = msgspec.structs.replace(self, **given)
        config.validate("the command line")
        return config

    def validate(self, source: str) -> None:
        for field, names in (("select", self.select or []), ("ignore", self.ignore), ("severity", self.severity)):
            for name in names:
                if not is_known_rule_name(name):
                    raise ConfigError(f"{source}: unknown rule or family `{name}` in `{field}`")
        if self.max_file_size <= 0:
            raise ConfigError(f"{source}: `max-file-size` must be a positive number of bytes")
        if self.migrations_start_after is not None and self.migrations_start_after < 0:
            raise ConfigError(f"{source}: `migrations-start-after` must be a migration version like 20240101000000")
        if self.max_test_file_lines <= 0:
            raise ConfigError(f"{source}: `max-test-file-lines` must be a positive number of lines")


def _matches(name: str, rule_id: str) -> bool:
    return name == rule_id or rule_id.startswith(name + ".")


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The project's configuration: `explicit`, else `<root>/.beamsage.toml`, else defaults."""
    path = explicit or root / CONFIG_FILE
    if explicit is None and not path.is_file():
        return Config()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    try:
        config = msgspec.convert(data, Config)
    except msgspec.ValidationError as err:
        raise ConfigError(f"{path}: {err}") from None
    config.validate(str(path))
    return config
