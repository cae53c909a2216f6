#!/usr/bin/env bash
# Restore a backup folder written by scripts/backup.sh: pg_restore into the database named by
# DATABASE_URL (its tables are dropped and recreated) and untar the media into MEDIA_ROOT.
# Usage: FILE=var/backups/<database>-<timestamp> scripts/restore.sh  (`make restore FILE=...`).
# Refused when DEBUG is off (production) unless FORCE=1.
set -euo pipefail

cd "$(dirname "$0")/.."

die() {
	echo "restore: $*" >&2
	exit 1
}

FILE="${FILE:-}"
[[ -n "$FILE" ]] || die "say which backup to restore: FILE=var/backups/<database>-<timestamp>."
[[ -d "$FILE" ]] || die "FILE=$FILE is not a folder (give the backup folder, not a file in it)."
for part in manifest.txt database.dump media.tar.gz; do
	[[ -f "$FILE/$part" ]] || die "$FILE has no $part: not a complete backup folder."
done

DATABASE_URL="${DATABASE_URL:-}"
case "$DATABASE_URL" in
postgres://* | postgresql://*) ;;
*) die "DATABASE_URL must name the PostgreSQL database to restore into (postgres://user@host:5432/name)." ;;
esac

# Same reading of DEBUG as participation/env.py: unset means off.
case "$(echo "${DEBUG:-}" | tr '[:upper:]' '[:lower:]' | xargs)" in
1 | true | yes | on) debug=1 ;;
*) debug=0 ;;
esac
if [[ "$debug" != 1 && "${FORCE:-}" != 1 ]]; then
	die "DEBUG is off: this looks like production and a restore replaces the whole database. Run again with FORCE=1 if that is really what you want."
fi

for tool in pg_restore psql tar sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make system-deps)."
done

# A damaged or half-copied backup is refused before anything is touched.
(cd "$FILE" && grep -E '^[0-9a-f]{64}  ' manifest.txt | sha256sum --check --quiet --strict) ||
	die "$FILE does not match the sha256 of its manifest.txt: refusing to restore it."

VAR="${VAR_DIR:-var}"
MEDIA="${MEDIA_ROOT:-$VAR/media}"

database="$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
	--command 'SELECT current_database()')" || die "cannot connect to the database of DATABASE_URL."
echo "Restoring $FILE into the database $database and $MEDIA..." >&2

# One transaction: if anything fails the database is left as it was. --no-owner and
# --no-privileges: the roles of the server the dump came from need not exist here; the objects
# belong to the user of DATABASE_URL.
pg_restore --dbname="$DATABASE_URL" --clean --if-exists --no-owner --no-privileges \
	--single-transaction --no-password "$FILE/database.dump"

# Files added since the backup are kept (no row points at them after the restore).
mkdir -p "$MEDIA"
tar --extract --gzip --file="$FILE/media.tar.gz" --directory="$MEDIA" --no-same-owner

echo "Restored $FILE into $database." >&2
