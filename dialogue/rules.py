import rules

from participation.rules import is_coordinator, is_delegate_for, is_local_staff, is_referent_for

# Spaces are created by referents (or coordinators); the people of a space run its meetings.
rules.add_perm("dialogue.create_space", is_coordinator | is_referent_for)
rules.add_perm("dialogue.manage_space", is_local_staff)
# On a space: plan a meeting; on a meeting: edit, duplicate, cancel, print.
rules.add_perm("dialogue.manage_meeting", is_local_staff)
rules.add_perm("dialogue.log_meeting", is_local_staff)
# Residents' names, emails and phones (registrant lists, sign-in sheets): only the staff of the
# place, never delegates nor correspondents.
rules.add_perm("dialogue.view_personal_data", is_local_staff)
# The meeting log's counts (attendance, speaking time, feedback): the local staff and the delegates
# of the place; names stay behind dialogue.view_personal_data.
rules.add_perm("dialogue.view_meeting_log", is_local_staff | is_delegate_for)


@rules.predicate
def is_correspondent_of_question(user, question) -> bool:
    """The question is addressed to the user's organisation."""
    from participation.roles import scopes_of

    return (
        question is not None
        and question.organisation_id is not None
        and question.organisation_id in scopes_of(user).correspondent_organisation_ids
    )


@rules.predicate
def is_accepted_question(user, question) -> bool:
    """Accepted by the staff (not awaiting confirmation or moderation, nor rejected)."""
    from dialogue.models import ACCEPTED_STATUSES

    return question is not None and question.status in ACCEPTED_STATUSES


# Questions and answers. Logging questions heard at a meeting: the meeting's people. Moderating
# online questions: the local staff. Routing, due dates, closing: referents and coordinators.
# Answering: the correspondents of the organisation addressed, and referents (answers received by
# other channels). Delegates read the staff pages of their scope, never write. A question not
# accepted yet (awaiting confirmation or moderation) or rejected is the moderators' alone: its text
# has not been checked, and may name people.
rules.add_perm("dialogue.moderate_question", is_local_staff)
rules.add_perm("dialogue.route_question", is_coordinator | is_referent_for)
rules.add_perm(
    "dialogue.answer_question", is_coordinator | is_referent_for | is_correspondent_of_question
)
rules.add_perm(
    "dialogue.view_question_staff",
    is_local_staff | ((is_delegate_for | is_correspondent_of_question) & is_accepted_question),
)
