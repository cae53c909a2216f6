"""The dialogue app's models: spaces, meetings and registrations; the meeting log."""

from dialogue.models.log import *  # noqa: F403
from dialogue.models.meetings import *  # noqa: F403
from dialogue.models.questions import *  # noqa: F403
