import rules

from participation.rules import is_coordinator, is_local_staff, is_referent_for

# Spaces are created by referents (or coordinators); the people of a space run its meetings.
rules.add_perm("dialogue.create_space", is_coordinator | is_referent_for)
rules.add_perm("dialogue.manage_space", is_local_staff)
# On a space: plan a meeting; on a meeting: edit, duplicate, cancel, print.
rules.add_perm("dialogue.manage_meeting", is_local_staff)
rules.add_perm("dialogue.log_meeting", is_local_staff)
# Residents' names, emails and phones (registrant lists, sign-in sheets): only the staff of the
# place, never delegates nor correspondents.
rules.add_perm("dialogue.view_personal_data", is_local_staff)
