"""A thin re-export of the factories, which live in each test app's `factories.py`.

Kept only for the question modules (tests/dialogue/test_question_emails.py, test_transparency.py)
while another branch moves them to tests/questions/: import from the app's module instead, and
remove this file once they do.
"""

from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.qpv.factories import OrganisationFactory

__all__ = [
    "PASSWORD",
    "DialogueSpaceFactory",
    "MeetingFactory",
    "OrganisationFactory",
    "RegistrationFactory",
    "UserFactory",
    "grant",
]
