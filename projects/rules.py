from participation.scopes import add_perm, is_coordinator, is_referent_for

# Projects, the participation fund, influence records: the referents of the commune (and the
# coordinators) run them (DESIGN §2).
is_project_staff = is_coordinator | is_referent_for

add_perm("projects.manage_project", is_project_staff)
add_perm("projects.moderate_idea", is_project_staff)
add_perm("projects.manage_fund", is_project_staff)
add_perm("projects.decide_grant", is_project_staff)
add_perm("projects.manage_influence", is_project_staff)
