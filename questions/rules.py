"""Who may do what with questions and answers (django-rules; see participation.rules)."""

from django.db.models import Q

from participation.roles import scopes_of
from participation.scopes import (
    EVERYTHING,
    NOTHING,
    Rule,
    add_perm,
    is_coordinator,
    is_delegate_for,
    is_local_staff,
    is_referent_for,
)
from questions.models import ACCEPTED_STATUSES

# The question is addressed to the user's organisation.
is_correspondent_of_question = Rule(
    "is_correspondent_of_question",
    lambda user, question: (
        question is not None
        and question.organisation_id is not None
        and question.organisation_id in scopes_of(user).correspondent_organisation_ids
    ),
    lambda user, reach: (
        Q(organisation_id__in=ids)
        if (ids := scopes_of(user).correspondent_organisation_ids)
        else NOTHING
    ),
)

# Accepted by the staff (not awaiting confirmation or moderation, nor rejected).
is_accepted_question = Rule(
    "is_accepted_question",
    lambda user, question: question is not None and question.status in ACCEPTED_STATUSES,
    lambda user, reach: Q(status__in=ACCEPTED_STATUSES),
)

# Shown on the public Q&A: accepted, and the asker agreed to public display (QuestionQuerySet.public).
is_public_question = Rule(
    "is_public_question",
    lambda user, question: (
        question is not None and question.status in ACCEPTED_STATUSES and question.public_display
    ),
    lambda user, reach: Q(status__in=ACCEPTED_STATUSES, public_display=True),
)

# Any account, whatever its roles (a resident following a question).
is_signed_in = Rule(
    "is_signed_in",
    lambda user, obj: user.is_authenticated,
    lambda user, reach: EVERYTHING if user.is_authenticated else NOTHING,
)


# Questions and answers. Logging questions heard at a meeting: the meeting's people. Moderating
# online questions: the local staff. Routing, due dates, closing: referents and coordinators.
# Answering: the correspondents of the organisation addressed, and referents (answers received by
# other channels). Delegates read the staff pages of their scope, never write. A question not
# accepted yet (awaiting confirmation or moderation) or rejected is the moderators' alone: its text
# has not been checked, and may name people.
add_perm("questions.moderate_question", is_local_staff)
add_perm("questions.route_question", is_coordinator | is_referent_for)
add_perm(
    "questions.answer_question", is_coordinator | is_referent_for | is_correspondent_of_question
)
add_perm(
    "questions.view_question_staff",
    is_local_staff | ((is_delegate_for | is_correspondent_of_question) & is_accepted_question),
)
# "Follow that one" rather than asking it again: any account, on a public question only.
add_perm("questions.follow_question", is_signed_in & is_public_question)
