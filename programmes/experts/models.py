"""What matching stores about an expert beside the profile: the profile's meaning as a vector."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import UTCDateTime, utcnow
from extensions import db


class ExpertEmbedding(db.Model):
    """The embedding of an expert's title, department and biography (``programmes.experts.matching.semantic``),
    written when the profile is saved, imported or merged. A row older than the expert's ``updated_at``,
    or of another model, is stale: matching then embeds the profile afresh (in memory) until the next save."""

    __tablename__ = "expert_embeddings"

    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True)
    #: Which model made the vector, e.g. "wordllama-0.4.0.post1/l2_supercat-256".
    model: Mapped[str] = mapped_column(String(80))
    #: float32 values, unit length (little-endian bytes): 256 of them, 1 KB.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of the text embedded: a save that changes no word of the profile embeds nothing.
    text_hash: Mapped[str] = mapped_column(String(64))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
