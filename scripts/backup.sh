#!/usr/bin/env bash
# Back up the portal: a pg_dump (custom format) of the database named by DATABASE_URL and a tar.gz
# of MEDIA_ROOT, in one timestamped folder under BACKUP_DIR (default $VAR_DIR/backups, var/backups),
# with a manifest.txt (date, database, row counts, sizes, sha256). `make backup` runs it.
# Restore with scripts/restore.sh (`make restore FILE=<folder>`).
set -euo pipefail

cd "$(dirname "$0")/.."

die() {
	echo "backup: $*" >&2
	exit 1
}

DATABASE_URL="${DATABASE_URL:-}"
case "$DATABASE_URL" in
postgres://* | postgresql://*) ;;
"") die "DATABASE_URL is not set. Backups are for PostgreSQL (postgres://user@host:5432/name); the local SQLite database is a plain file: copy it." ;;
*) die "DATABASE_URL is not a PostgreSQL URL (postgres://...). Only PostgreSQL databases are backed up by this script." ;;
esac
# psql and pg_dump take the URL as is; libpq spells the scheme postgresql:// or postgres://.

for tool in pg_dump psql tar sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make system-deps)."
done

VAR="${VAR_DIR:-var}"
MEDIA="${MEDIA_ROOT:-$VAR/media}"
BACKUPS="${BACKUP_DIR:-$VAR/backups}"

database="$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
	--command 'SELECT current_database()')" || die "cannot connect to the database of DATABASE_URL."

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUPS/$database-$stamp"
# Written under a .partial name and renamed at the end: a folder without it is complete.
work="$target.partial"
[[ -e "$target" || -e "$work" ]] && die "$target already exists (two backups in the same second?)."
mkdir -p "$BACKUPS"
mkdir "$work"
trap 'rm -rf "$work"' ERR

pg_dump --dbname="$DATABASE_URL" --format=custom --no-password --file="$work/database.dump"

if [[ -d "$MEDIA" ]]; then
	tar --create --gzip --file="$work/media.tar.gz" --directory="$MEDIA" .
else
	# No media yet: an empty archive keeps every backup folder the same shape.
	tar --create --gzip --file="$work/media.tar.gz" --files-from=/dev/null
fi

# Exact row counts of every table of the public schema (counted right after the dump, so under
# traffic they may differ slightly from it; they are a sanity check, not the source of truth).
rows="$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align --field-separator=' ' --command "
	SELECT table_name,
	       (xpath('/row/n/text()', query_to_xml(
	           format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name),
	           false, true, '')))[1]::text
	FROM information_schema.tables
	WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
	ORDER BY table_name")"

{
	echo "Quartiers en dialogue backup"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "database: $database"
	echo "pg_dump: $(pg_dump --version)"
	echo "media_root: $MEDIA"
	echo
	echo "sizes (bytes):"
	echo "database.dump $(stat --format=%s "$work/database.dump")"
	echo "media.tar.gz $(stat --format=%s "$work/media.tar.gz")"
	echo "media files: $(tar --list --gzip --file="$work/media.tar.gz" | grep -cv '/$' || true)"
	echo
	# sha256sum format, so that restore.sh (or anyone) checks them with `sha256sum --check`.
	echo "sha256:"
	(cd "$work" && sha256sum database.dump media.tar.gz)
	echo
	echo "rows:"
	echo "$rows"
} >"$work/manifest.txt"

mv "$work" "$target"
trap - ERR
echo "Backup written to $target" >&2
echo "$target"
