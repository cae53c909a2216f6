"""The dialogue app's models: spaces, meetings and registrations; the meeting log; questions and answers."""

from dialogue.models.log import *  # noqa: F403
from dialogue.models.meetings import *  # noqa: F403
from dialogue.models.questions import *  # noqa: F403
