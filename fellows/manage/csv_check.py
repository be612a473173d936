"""Importing fellows from a CSV file: parse and check every row, then (once confirmed) apply.

Reading the upload, carrying it to the confirmation and confirming once are ``core.uploads``'s; parsing
here is pure (text → rows with their errors); ``check_against_database`` adds what the
database knows (existing fellows, what would change for each, new topics); ``csv_apply.apply_import``
changes models and flushes.
Nothing is imported from a file that has any error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models import Tag, slugify
from core.uploads import CheckedRows, UploadError, csv_table
from extensions import db
from fellows.models import SECTORS, Organisation, User

COLUMNS = ("name", "email", "organisation", "sector", "cohort", "interests")
REQUIRED_COLUMNS = ("name", "email")
MAX_ROWS = 2000
INTEREST_SEPARATOR = ";"
FIRST_COHORT = 1990

# Limits come from the columns the values end up in, so a value that fits here fits there.
MAX_LENGTHS = {
    "name": User.__table__.c.name.type.length,
    "email": User.__table__.c.email.type.length,
    "organisation": Organisation.__table__.c.name.type.length,
    "interest": Tag.__table__.c.name.type.length,
}


#: The file as a whole cannot be read (encoding, header, size, cut short); the message is for the organiser.
ImportFileError = UploadError


def _sector_lookup() -> dict[str, str]:
    """Every accepted spelling of a sector (key or label, any case, space or underscore) → key."""
    lookup = {}
    for key, label in SECTORS.items():
        for spelling in (key, label, key.replace("_", " "), label.replace(" ", "_")):
            lookup[spelling.lower()] = key
    return lookup


SECTOR_SPELLINGS = _sector_lookup()


@dataclass(frozen=True)
class FieldChange:
    """What a row would change in an existing fellow's profile."""

    field: str
    label: str
    old: str
    new: str
    #: The stored value is the fellow's own (see ``is_own_value``): kept unless the organiser ticks to overwrite.
    own: bool = False


@dataclass
class ImportRow:
    """One fellow from the file, as read, with the problems found in it."""

    line: int
    name: str = ""
    email: str = ""
    organisation: str = ""
    sector_text: str = ""
    sector: str | None = None
    cohort_text: str = ""
    cohort: int | None = None
    interests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Filled in by ``check_against_database``.
    existing_user_id: int | None = None
    #: For an existing fellow: each field the row would change, old → new.
    changes: list[FieldChange] = field(default_factory=list)
    new_interests: set[str] = field(default_factory=set)
    new_organisation: bool = False

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.sector or "", self.sector_text)


@dataclass
class ImportPreview(CheckedRows):
    """The checked file: its text (carried to the confirmation), its columns and every row."""

    rows: list[ImportRow]
    columns: list[str]

    @property
    def new_count(self) -> int:
        return sum(1 for row in self.rows if row.existing_user_id is None)

    @property
    def update_count(self) -> int:
        return sum(1 for row in self.rows if row.existing_user_id is not None)

    @property
    def own_changes_count(self) -> int:
        """How many changes would replace a value a fellow set themselves (kept unless the organiser ticks)."""
        return sum(1 for row in self.rows for change in row.changes if change.own)


def _read_header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    if len(columns) == 1 and INTEREST_SEPARATOR in columns[0] and "," not in columns[0]:
        raise ImportFileError("The columns are separated by semicolons; separate them with commas (“,”) instead.")
    unknown = [name for name in columns if name and name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"The header row has unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Use only these columns: {', '.join(COLUMNS)}."
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        raise ImportFileError(f"The header row has the column {', '.join(repeated)} more than once.")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ImportFileError(
            f"The header row has no {' or '.join(missing)} column. The first row must name the columns: "
            f"{', '.join(COLUMNS)} (name and email are required)."
        )
    return columns


def parse_csv(text: str) -> tuple[list[str], list[ImportRow]]:
    """Read the header and every row, checking each value on its own and emails across rows."""
    columns, rows = csv_table(
        text, columns=COLUMNS, what="fellows", max_rows=MAX_ROWS, read_header=_read_header, read_row=_read_row
    )
    _mark_duplicate_emails(rows)
    return [name for name in columns if name], rows


def _read_row(line: int, columns: list[str], cells: list[str]) -> ImportRow:
    row = ImportRow(line=line)
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        row.errors.append(f"This row has {len(cells)} cells but the header names {len(columns)} columns.")
    values = {name: cell.strip() for name, cell in zip(columns, cells, strict=False) if name}
    for name, cell in zip(columns, cells, strict=False):
        if not name and cell.strip():
            row.errors.append("This row has a value in a column without a heading.")
    row.name = values.get("name", "")
    row.organisation = " ".join(values.get("organisation", "").split())
    row.sector_text = values.get("sector", "")
    row.cohort_text = values.get("cohort", "")
    _check_name(row)
    _check_email(row, values.get("email", ""))
    _check_length(row, "Organisation", row.organisation, MAX_LENGTHS["organisation"])
    _check_sector(row)
    _check_cohort(row)
    _check_interests(row, values.get("interests", ""))
    return row


def _check_length(row: ImportRow, label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        row.errors.append(f"{label} is too long: {len(value)} characters, at most {limit}.")


def _check_name(row: ImportRow) -> None:
    if not row.name:
        row.errors.append("Name is missing.")
    _check_length(row, "Name", row.name, MAX_LENGTHS["name"])


def _check_email(row: ImportRow, value: str) -> None:
    row.email = value.lower()
    if not value:
        row.errors.append("Email is missing.")
        return
    if len(value) > MAX_LENGTHS["email"]:
        _check_length(row, "Email", value, MAX_LENGTHS["email"])
        return
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        row.errors.append(f"“{value}” is not a valid email address.")


def _check_sector(row: ImportRow) -> None:
    if not row.sector_text:
        return
    row.sector = SECTOR_SPELLINGS.get(" ".join(row.sector_text.split()).lower())
    if row.sector is None:
        row.errors.append(f"Unknown sector “{row.sector_text}”: use one of {', '.join(SECTORS.values())}.")


def latest_cohort() -> int:
    return date.today().year + 1


def _check_cohort(row: ImportRow) -> None:
    text = row.cohort_text
    if not text:
        return
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        row.errors.append(f"Cohort “{text}” is not a year: write the year the fellowship began, e.g. 2016.")
        return
    year = int(text)
    if not FIRST_COHORT <= year <= latest_cohort():
        row.errors.append(f"Cohort {year} is not a year between {FIRST_COHORT} and {latest_cohort()}.")
        return
    row.cohort = year


def _check_interests(row: ImportRow, value: str) -> None:
    seen = set()
    for part in value.split(INTEREST_SEPARATOR):
        name = " ".join(part.split())
        if not name:
            continue
        slug = slugify(name)
        if not slug:
            row.errors.append(f"Interest “{name}” needs some letters or digits.")
            continue
        if len(name) > MAX_LENGTHS["interest"]:
            row.errors.append(f"Interest “{name[:30]}…” is too long: at most {MAX_LENGTHS['interest']} characters.")
            continue
        if slug not in seen:
            seen.add(slug)
            row.interests.append(name)


def _mark_duplicate_emails(rows: list[ImportRow]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.email:
            continue
        if row.email in first_line:
            row.errors.append(f"Duplicate email: {row.email} is already on line {first_line[row.email]}.")
        else:
            first_line[row.email] = row.line


def check_against_database(rows: list[ImportRow]) -> None:
    """Match rows to existing accounts by email and work out what would change for each; spot new topics
    and organisations (four queries however many rows)."""
    emails = {row.email for row in rows if row.email}
    accounts: dict[str, User] = {}
    if emails:
        accounts = {
            user.email: user
            for user in db.session.scalars(
                select(User).where(User.email.in_(emails)).options(selectinload(User.interests))
            )
        }
    slugs = {slugify(name) for row in rows for name in row.interests}
    known_slugs = set(db.session.scalars(select(Tag.slug).where(Tag.slug.in_(slugs)))) if slugs else set()
    known_organisations = set(organisations_by_name({row.organisation for row in rows if row.organisation}))
    for row in rows:
        account = accounts.get(row.email)
        if account is not None:
            if account.role != "fellow":
                row.errors.append(f"{row.email} belongs to an organiser account, which an import cannot change.")
            row.existing_user_id = account.id
            row.changes = changes_for(row, account)
        row.new_interests = {name for name in row.interests if slugify(name) not in known_slugs}
        row.new_organisation = bool(row.organisation) and row.organisation.lower() not in known_organisations


def is_own_value(user: User, old: str) -> bool:
    """Whether a stored value counts as the fellow's own: they have accepted their invitation (so they
    have a password and their profile editor), and the value is not blank. An import then leaves it
    alone unless the organiser ticks to overwrite; blank fields are always filled in."""
    return user.password_hash is not None and bool(old)


def changes_for(row: ImportRow, user: User) -> list[FieldChange]:
    """Each field of ``user`` the row would change (empty cells change nothing; interests are only added)."""
    candidates = [
        ("name", "Name", user.name or "", row.name),
        ("organisation", "Organisation", user.organisation.name if user.organisation else "", row.organisation),
        ("sector", "Sector", SECTORS.get(user.sector or "", ""), SECTORS.get(row.sector or "", "")),
        ("cohort", "Cohort", str(user.cohort or ""), str(row.cohort or "")),
    ]
    changes = [
        FieldChange(name, label, old, new, own=is_own_value(user, old))
        for name, label, old, new in candidates
        if new and new != old and not (name == "organisation" and new.lower() == old.lower())
    ]
    current = {tag.slug for tag in user.interests}
    added = [name for name in row.interests if slugify(name) not in current]
    if added:
        old = "; ".join(tag.name for tag in user.interests)
        changes.append(FieldChange("interests", "Interests", old, "; ".join([old, *added] if old else added)))
    return changes


def preview_import(text: str) -> ImportPreview:
    """Parse and check a file's text; raises ImportFileError for a file that cannot be read at all."""
    columns, rows = parse_csv(text)
    check_against_database(rows)
    return ImportPreview(text=text, columns=columns, rows=rows)


def organisations_by_name(names: set[str]) -> dict[str, Organisation]:
    """Existing organisations for these names, keyed by lower-cased name.

    Compared in Python: SQLite's lower() leaves non-ASCII letters alone, and LIKE treats % and _
    as wildcards. The whole list is small (one row per organisation).
    """
    if not names:
        return {}
    return {organisation.name.lower(): organisation for organisation in db.session.scalars(select(Organisation))}
