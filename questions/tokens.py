"""Signed links of questions asked online by guests: the link confirms the email address (issue 5).

Signed like the registration links (dialogue.tokens), with a salt of their own.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from dialogue.tokens import sign_token, unsign_token

# Unchanged by the move out of dialogue: links sent before it still work.
QUESTION_CONFIRM_SALT = "dialogue.question.confirm"
QUESTION_CONFIRM_MAX_AGE = timedelta(days=7)


def question_confirm_path(question) -> str:
    return reverse(
        "questions:question_confirm",
        kwargs={"signed": sign_token(question.token, QUESTION_CONFIRM_SALT)},
    )


def question_token_from_confirm_link(value: str) -> str:
    return unsign_token(value, QUESTION_CONFIRM_SALT, QUESTION_CONFIRM_MAX_AGE)
