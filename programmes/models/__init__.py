"""The fellowship programme's tables, one module per part: tenures (appointments and policy questions),
briefs, experts, visits (programmes, invitations, targets) and timetable (meetings, itinerary versions,
repair proposals), outcomes (follow-ups, impact records) and rapid (rapid-response questions and
panels). Every model is importable from here:
``from programmes.models import Expert``."""

from programmes.models.briefs import BriefComment, BriefVersion
from programmes.models.experts import (
    MEETING_MODES,
    PROFILE_WORDS_FUNCTION,
    PROFILE_WORDS_TRIGGER,
    Expert,
    ExpertEmbedding,
    expert_topics,
)
from programmes.models.outcomes import (
    FOLLOW_UP_OWNERS,
    FollowUp,
    ImpactQuote,
    ImpactRecord,
    ImpactWithheld,
    impact_meetings,
)
from programmes.models.rapid import PANEL_STATES, PanelMember, RapidQuestion, rapid_question_topics
from programmes.models.tenures import (
    DEFAULT_MEETING_TARGET,
    TENURE_STATUSES,
    TIERS,
    Appointment,
    PolicyQuestion,
    question_topics,
)
from programmes.models.timetable import (
    CHANGES,
    ItineraryChange,
    ItineraryVersion,
    Meeting,
    TimetableProposal,
    TravelTime,
    when_text,
)
from programmes.models.visits import (
    DEFAULT_EXPIRE_AFTER_DAYS,
    DEFAULT_LONG_SHOTS,
    DEFAULT_OVER_INVITE_PERCENT,
    INVITATION_STATUSES,
    ExpertInvitation,
    VisitProgramme,
    VisitTarget,
)

__all__ = [
    "CHANGES",
    "DEFAULT_EXPIRE_AFTER_DAYS",
    "DEFAULT_LONG_SHOTS",
    "DEFAULT_MEETING_TARGET",
    "DEFAULT_OVER_INVITE_PERCENT",
    "FOLLOW_UP_OWNERS",
    "INVITATION_STATUSES",
    "MEETING_MODES",
    "PROFILE_WORDS_FUNCTION",
    "PROFILE_WORDS_TRIGGER",
    "TENURE_STATUSES",
    "TIERS",
    "Appointment",
    "BriefComment",
    "BriefVersion",
    "Expert",
    "ExpertEmbedding",
    "ExpertInvitation",
    "FollowUp",
    "ImpactQuote",
    "ImpactRecord",
    "ImpactWithheld",
    "PANEL_STATES",
    "PanelMember",
    "RapidQuestion",
    "rapid_question_topics",
    "ItineraryChange",
    "ItineraryVersion",
    "Meeting",
    "PolicyQuestion",
    "TimetableProposal",
    "TravelTime",
    "VisitProgramme",
    "VisitTarget",
    "expert_topics",
    "impact_meetings",
    "question_topics",
    "when_text",
]
