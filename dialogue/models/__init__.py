"""The dialogue app's models: spaces, meetings and registrations; the meeting log.

Questions and answers are in the questions app, above this one."""

from dialogue.models.log import *  # noqa: F403
from dialogue.models.meetings import *  # noqa: F403
from dialogue.models.translations import *  # noqa: F403
