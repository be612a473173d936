"""Importing experts from a CSV file: parse and check every row, then (once confirmed) apply. Reading the
upload, carrying it to the confirmation and confirming once are ``core.uploads``'s, as for every import;
the rule is the fellows' import's: nothing is imported from a file with any error.

Rows are matched to existing experts by email: filled-in cells replace stored values, empty cells
leave them, topics are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models import Tag, slugify
from core.tags import find_or_create_tag
from core.uploads import CheckedRows, UploadError, csv_table
from extensions import db
from fellows.services import find_or_create_organisation
from programmes.experts.matching.semantic import refresh_embeddings
from programmes.models import MEETING_MODES, Expert

COLUMNS = ("name", "email", "title", "department", "organisation", "location", "topics", "meeting_mode", "biography")
REQUIRED_COLUMNS = ("name", "email")
MAX_ROWS = 2000
SEPARATOR = ";"
LIMITS = {name: Expert.__table__.c[name].type.length for name in ("name", "email", "title", "department", "location")}
LIMITS["organisation"] = 200
MODE_SPELLINGS = {
    spelling: key
    for key, label in MEETING_MODES.items()
    for spelling in (key, key.replace("_", " "), key.replace("_", "-"), label.lower())
}


@dataclass
class ExpertRow:
    line: int
    values: dict[str, str] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    meeting_mode: str | None = None
    errors: list[str] = field(default_factory=list)
    existing_id: int | None = None

    def __getattr__(self, name: str) -> str:  # row.name, row.email … for the preview template
        if name in COLUMNS:
            return self.values.get(name, "")
        raise AttributeError(name)


@dataclass
class ExpertPreview(CheckedRows):
    rows: list[ExpertRow]

    @property
    def new_count(self) -> int:
        return sum(1 for row in self.rows if row.existing_id is None)


def _header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower().replace(" ", "_") for cell in cells]
    unknown = [name for name in columns if name and name not in COLUMNS]
    if unknown:
        raise UploadError(f"The header row has unknown columns: {', '.join(unknown)}. Use: {', '.join(COLUMNS)}.")
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise UploadError(f"The header row has the column {', '.join(repeated)} more than once.")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise UploadError(f"The header row has no {' or '.join(missing)} column (name and email are required).")
    return columns


def parse(text: str) -> list[ExpertRow]:
    _, rows = csv_table(text, columns=COLUMNS, what="experts", max_rows=MAX_ROWS, read_header=_header, read_row=_row)
    seen: dict[str, int] = {}
    for row in rows:
        email = row.values.get("email")
        if email and email in seen:
            row.errors.append(f"Duplicate email: {email} is already on line {seen[email]}.")
        elif email:
            seen[email] = row.line
    return rows


def _row(line: int, columns: list[str], cells: list[str]) -> ExpertRow:
    row = ExpertRow(line=line)
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        row.errors.append(f"This row has {len(cells)} cells but the header names {len(columns)} columns.")
    for name, cell in zip(columns, cells, strict=False):
        if name:
            value = cell.strip() if name == "biography" else " ".join(cell.split())
            row.values[name] = value
    row.values["email"] = row.values.get("email", "").lower()
    if not row.values.get("name"):
        row.errors.append("Name is missing.")
    for name, limit in LIMITS.items():
        if len(row.values.get(name, "")) > limit:
            row.errors.append(f"{name.capitalize()} is too long: at most {limit} characters.")
    email = row.values["email"]
    if not email:
        row.errors.append("Email is missing.")
    elif len(email) <= LIMITS["email"]:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            row.errors.append(f"“{email}” is not a valid email address.")
    mode = row.values.get("meeting_mode", "")
    row.meeting_mode = MODE_SPELLINGS.get(mode.lower()) if mode else None
    if mode and row.meeting_mode is None:
        row.errors.append(f"Unknown meeting mode “{mode}”: use in person, online or either.")
    for part in row.values.get("topics", "").split(SEPARATOR):
        name = " ".join(part.split())
        if not name:
            continue
        if not slugify(name) or len(name) > Tag.__table__.c.name.type.length:
            row.errors.append(f"Topic “{name[:30]}” needs letters or digits and at most 80 characters.")
        elif slugify(name) not in {slugify(topic) for topic in row.topics}:
            row.topics.append(name)
    return row


def preview_import(text: str) -> ExpertPreview:
    """Parse and check a file's text, matching rows to existing experts by email (one query)."""
    rows = parse(text)
    emails = {row.values["email"] for row in rows if row.values.get("email")}
    existing = dict(db.session.execute(select(Expert.email, Expert.id).where(Expert.email.in_(emails))).all())
    for row in rows:
        row.existing_id = existing.get(row.values.get("email"))
    return ExpertPreview(text=text, rows=rows)


def apply_import(preview: ExpertPreview) -> tuple[int, int]:
    """Create and update the experts of a checked file; (created, updated). Flush, never commit."""
    if preview.has_errors:
        raise ValueError("a file with errors cannot be imported")
    emails = [row.values["email"] for row in preview.rows]
    existing = {
        expert.email: expert
        for expert in db.session.scalars(
            select(Expert).where(Expert.email.in_(emails)).options(selectinload(Expert.topics))
        )
    }
    tags: dict[str, Tag] = {}
    created = updated = 0
    touched = []
    for row in preview.rows:
        expert = existing.get(row.values["email"])
        if expert is None:
            expert = Expert(email=row.values["email"], meeting_mode="in_person", do_not_contact=False)
            db.session.add(expert)
            created += 1
        else:
            updated += 1
        for name in ("name", "title", "department", "location", "biography"):
            if row.values.get(name):
                setattr(expert, name, row.values[name])
        if row.values.get("organisation"):
            expert.organisation = find_or_create_organisation(row.values["organisation"])
        if row.meeting_mode:
            expert.meeting_mode = row.meeting_mode
        current = {tag.slug for tag in expert.topics}
        for name in row.topics:
            slug = slugify(name)
            tags.setdefault(slug, find_or_create_tag(name))
            if slug not in current:
                expert.topics.append(tags[slug])
                current.add(slug)
        touched.append(expert)
    db.session.flush()
    refresh_embeddings(touched)  # one statement for the stored rows, one batch of profiles embedded
    return created, updated
