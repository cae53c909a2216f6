from participation.scopes import add_perm, is_coordinator, is_delegate_for, is_referent_for

# Indicators are aggregates only: delegates, referents and coordinators, each in scope.
add_perm("evaluation.view_indicators", is_coordinator | is_referent_for | is_delegate_for)
# Reports: requested, followed and downloaded by whoever may read the indicators of their scope.
add_perm("evaluation.read_report", is_coordinator | is_referent_for | is_delegate_for)
# Targets of the indicators: set by coordinators only, read by whoever reads indicators somewhere.
add_perm("evaluation.view_targets", is_coordinator | is_referent_for | is_delegate_for)
add_perm("evaluation.set_targets", is_coordinator)
# The written parts of a report (synthesis, recommendations...): drafted, submitted for review,
# published and printed again by the coordinators and the referents of the report's commune; read
# and commented by whoever reads the report (the prefect's delegates review them).
add_perm("evaluation.draft_report_text", is_coordinator | is_referent_for)
add_perm("evaluation.comment_report", is_coordinator | is_referent_for | is_delegate_for)
