"""indexes for every foreign key and for the columns list pages filter and sort on

Revision ID: 0011_indexes
Revises: 0010_job_runs

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_indexes"
down_revision = "0010_job_runs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_account_tokens_created_by_id", ["created_by_id"], unique=False)

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_changed_by_id", ["changed_by_id"], unique=False)

    with op.batch_alter_table("chatham_house_confirmations", schema=None) as batch_op:
        batch_op.create_index("ix_chatham_house_confirmations_confirmed_by_id", ["confirmed_by_id"], unique=False)

    with op.batch_alter_table("event_changes", schema=None) as batch_op:
        batch_op.create_index("ix_event_changes_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("event_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_event_invitations_invited_by_id", ["invited_by_id"], unique=False)

    with op.batch_alter_table("event_messages", schema=None) as batch_op:
        batch_op.create_index("ix_event_messages_sent_by_id", ["sent_by_id"], unique=False)

    with op.batch_alter_table("event_topics", schema=None) as batch_op:
        batch_op.create_index("ix_event_topics_tag_id", ["tag_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_created_by_id", ["created_by_id"], unique=False)
        batch_op.create_index("ix_events_ends_at", ["ends_at"], unique=False)
        batch_op.create_index("ix_events_host_id", ["host_id"], unique=False)
        batch_op.create_index("ix_events_updated_at", ["updated_at"], unique=False)

    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_expert_invitations_question_id", ["question_id"], unique=False)

    with op.batch_alter_table("expert_topics", schema=None) as batch_op:
        batch_op.create_index("ix_expert_topics_tag_id", ["tag_id"], unique=False)

    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.create_index("ix_experts_organisation_id", ["organisation_id"], unique=False)

    with op.batch_alter_table("join_requests", schema=None) as batch_op:
        batch_op.create_index("ix_join_requests_decided_by_id", ["decided_by_id"], unique=False)

    with op.batch_alter_table("note_draft_stashes", schema=None) as batch_op:
        batch_op.create_index("ix_note_draft_stashes_event_id", ["event_id"], unique=False)

    with op.batch_alter_table("note_review_links", schema=None) as batch_op:
        batch_op.create_index("ix_note_review_links_created_by_id", ["created_by_id"], unique=False)

    with op.batch_alter_table("note_revisions", schema=None) as batch_op:
        batch_op.create_index("ix_note_revisions_created_by_id", ["created_by_id"], unique=False)
        batch_op.create_index("ix_note_revisions_image_id", ["image_id"], unique=False)

    with op.batch_alter_table("note_topics", schema=None) as batch_op:
        batch_op.create_index("ix_note_topics_tag_id", ["tag_id"], unique=False)

    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index("ix_notes_created_by_id", ["created_by_id"], unique=False)
        batch_op.create_index("ix_notes_image_id", ["image_id"], unique=False)
        batch_op.create_index("ix_notes_updated_by_id", ["updated_by_id"], unique=False)

    with op.batch_alter_table("policy_question_topics", schema=None) as batch_op:
        batch_op.create_index("ix_policy_question_topics_tag_id", ["tag_id"], unique=False)

    with op.batch_alter_table("policy_questions", schema=None) as batch_op:
        batch_op.create_index("ix_policy_questions_created_by_id", ["created_by_id"], unique=False)

    with op.batch_alter_table("speakers", schema=None) as batch_op:
        batch_op.create_index("ix_speakers_fellow_id", ["fellow_id"], unique=False)
        batch_op.create_index("ix_speakers_organisation_id", ["organisation_id"], unique=False)

    with op.batch_alter_table("user_interests", schema=None) as batch_op:
        batch_op.create_index("ix_user_interests_tag_id", ["tag_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_name", ["name"], unique=False)
        batch_op.create_index("ix_users_organisation_id", ["organisation_id"], unique=False)
        batch_op.create_index("ix_users_photo_id", ["photo_id"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_photo_id")
        batch_op.drop_index("ix_users_organisation_id")
        batch_op.drop_index("ix_users_name")

    with op.batch_alter_table("user_interests", schema=None) as batch_op:
        batch_op.drop_index("ix_user_interests_tag_id")

    with op.batch_alter_table("speakers", schema=None) as batch_op:
        batch_op.drop_index("ix_speakers_organisation_id")
        batch_op.drop_index("ix_speakers_fellow_id")

    with op.batch_alter_table("policy_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_questions_created_by_id")

    with op.batch_alter_table("policy_question_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_question_topics_tag_id")

    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_updated_by_id")
        batch_op.drop_index("ix_notes_image_id")
        batch_op.drop_index("ix_notes_created_by_id")

    with op.batch_alter_table("note_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_note_topics_tag_id")

    with op.batch_alter_table("note_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_note_revisions_image_id")
        batch_op.drop_index("ix_note_revisions_created_by_id")

    with op.batch_alter_table("note_review_links", schema=None) as batch_op:
        batch_op.drop_index("ix_note_review_links_created_by_id")

    with op.batch_alter_table("note_draft_stashes", schema=None) as batch_op:
        batch_op.drop_index("ix_note_draft_stashes_event_id")

    with op.batch_alter_table("join_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_join_requests_decided_by_id")

    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.drop_index("ix_experts_organisation_id")

    with op.batch_alter_table("expert_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_topics_tag_id")

    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_expert_invitations_question_id")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_updated_at")
        batch_op.drop_index("ix_events_host_id")
        batch_op.drop_index("ix_events_ends_at")
        batch_op.drop_index("ix_events_created_by_id")

    with op.batch_alter_table("event_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_event_topics_tag_id")

    with op.batch_alter_table("event_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_event_messages_sent_by_id")

    with op.batch_alter_table("event_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_event_invitations_invited_by_id")

    with op.batch_alter_table("event_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_event_changes_user_id")

    with op.batch_alter_table("chatham_house_confirmations", schema=None) as batch_op:
        batch_op.drop_index("ix_chatham_house_confirmations_confirmed_by_id")

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_changed_by_id")

    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_account_tokens_created_by_id")
