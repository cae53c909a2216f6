"""French formats that differ from Django's: times as French typography writes them, "18 h 30"
(the emails, SMS and posters already do), not "18:30". Everything else is Django's French."""

TIME_FORMAT = r"G \h i"
