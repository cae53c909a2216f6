from django.db import migrations


class Migration(migrations.Migration):
    """Questions and answers moved to the questions app (questions 0001): dialogue forgets the
    models; their tables stay, now the questions app's."""

    dependencies = [
        ("dialogue", "0005_indexes_for_pages"),
        ("questions", "0001_initial"),
        ("projects", "0003_questions_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DueDateChange"),
                migrations.DeleteModel(name="AnswerRevision"),
                migrations.DeleteModel(name="Answer"),
                migrations.DeleteModel(name="Question"),
            ],
            database_operations=[],
        ),
    ]
