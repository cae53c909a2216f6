from participation.scopes import add_perm, is_coordinator, is_correspondent_for, is_referent_for

add_perm("qpv.publish_news", is_coordinator | is_referent_for)
add_perm("qpv.answer_for_organisation", is_coordinator | is_correspondent_for)
