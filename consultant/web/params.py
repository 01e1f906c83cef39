"""Path and form parameters shared by the pages and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path

MAX_ROW_ID = 2**63 - 1  # the largest id any of our databases can hold

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def row_id(value: object, name: str) -> int:
    """A row id from a form field, or 400."""
    try:
        number = int(str(value))
    except ValueError:
        raise HTTPException(400, f"{name} must be a number") from None
    if not 1 <= number <= MAX_ROW_ID:
        raise HTTPException(400, f"{name} is out of range")
    return number
