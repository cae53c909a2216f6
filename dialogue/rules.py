from participation.scopes import (
    add_perm,
    is_coordinator,
    is_delegate_for,
    is_local_staff,
    is_referent_for,
)

# Spaces are created by referents (or coordinators); the people of a space run its meetings.
add_perm("dialogue.create_space", is_coordinator | is_referent_for)
add_perm("dialogue.manage_space", is_local_staff)
# On a space: plan a meeting; on a meeting: edit, duplicate, cancel, print.
add_perm("dialogue.manage_meeting", is_local_staff)
add_perm("dialogue.log_meeting", is_local_staff)
# Residents' names, emails and phones (registrant lists, sign-in sheets): only the staff of the
# place, never delegates nor correspondents.
add_perm("dialogue.view_personal_data", is_local_staff)
# The meeting log's counts (attendance, speaking time, feedback): the local staff and the delegates
# of the place; names stay behind dialogue.view_personal_data.
add_perm("dialogue.view_meeting_log", is_local_staff | is_delegate_for)
