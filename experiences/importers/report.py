"""What an import says back: counts, and every error with its row and column."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_REPORTED_ERRORS = 1_000


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_error: str = ""
    warnings: list[str] = field(default_factory=list)
    # Dry run only: possible duplicates and suggested themes of new rows (experiences/semantic/imports.py).
    semantic: dict = field(default_factory=dict)
    committed: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.error_count

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        return data
