from allauth.account.auth_backends import AuthenticationBackend


class EmailAuthenticationBackend(AuthenticationBackend):
    """allauth's login by email, without Django's per-user permission tables.

    allauth's backend inherits ModelBackend's permission lookups (two queries per check); our
    permissions all come from participation/rules.py, so this backend answers authentication only.
    """

    def get_user_permissions(self, user_obj, obj=None) -> set:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set:
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set:
        return set()

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return False

    def has_module_perms(self, user_obj, app_label) -> bool:
        return False
