from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class TrigramExtensionOnPostgreSQL(TrigramExtension):
    """pg_trgm, for the similar questions shown before sending (questions.selectors).

    CreateExtension already does nothing on SQLite (the local run) going forwards, but its
    backwards step queries pg_extension whatever the database: guarded here. The extension is left
    in place when migrating backwards, as other database objects may come to use it.
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return None


class Migration(migrations.Migration):
    dependencies = [("questions", "0002_question_history_addressee_follows")]

    operations = [TrigramExtensionOnPostgreSQL()]
