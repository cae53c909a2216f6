#!/usr/bin/env bash
# Back up the portal, encrypted with age: a pg_dump (custom format) of the database named by
# DATABASE_URL and a tar.gz of MEDIA_ROOT, each streamed through `age` to the public key(s) of
# BACKUP_AGE_RECIPIENT, in one timestamped folder under BACKUP_DIR (default $VAR_DIR/backups,
# var/backups), with a manifest.txt (date, database, row counts, sizes and sha256 of the encrypted
# files). Nothing readable is ever written to disk, and this server never holds the decryption key.
# Then the backup folders older than BACKUP_RETENTION_DAYS (default 35) are deleted, so that a
# purge of personal data reaches the backups within that window. `make backup` runs it.
# Restore with scripts/restore.sh (`make restore FILE=<folder>`, with the key in BACKUP_AGE_IDENTITY).
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

for tool in pg_dump psql tar sha256sum age; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make system-deps)."
done

# A backup holds personal data: never written in clear, so no key means no backup.
# One or more public keys (a second one kept elsewhere, say), separated by spaces or commas.
BACKUP_AGE_RECIPIENT="${BACKUP_AGE_RECIPIENT:-}"
read -r -a recipients <<<"${BACKUP_AGE_RECIPIENT//,/ }"
[[ ${#recipients[@]} -gt 0 ]] ||
	die "BACKUP_AGE_RECIPIENT is not set: backups are encrypted with age and this server needs the public key (age1...). Make a key pair with age-keygen on another machine, keep the identity file there and set BACKUP_AGE_RECIPIENT to its public key. See README.md, Backups."
age_args=()
for recipient in "${recipients[@]}"; do
	[[ "$recipient" != AGE-SECRET-KEY-* ]] ||
		die "BACKUP_AGE_RECIPIENT holds a secret key (AGE-SECRET-KEY-...): give the public key (age1..., printed by age-keygen -y) and keep the secret key off this server."
	age_args+=(--recipient "$recipient")
done
# age checks the recipients itself; a trial on empty input fails before anything is dumped.
age --encrypt "${age_args[@]}" </dev/null >/dev/null ||
	die "BACKUP_AGE_RECIPIENT is not a valid age public key (age1...): $BACKUP_AGE_RECIPIENT"

retention="${BACKUP_RETENTION_DAYS:-35}"
[[ "$retention" =~ ^[0-9]+$ ]] && ((10#$retention >= 1)) ||
	die "BACKUP_RETENTION_DAYS must be a whole number of days, at least 1 (default 35): got '$retention'."
retention=$((10#$retention))

VAR="${VAR_DIR:-var}"
MEDIA="${MEDIA_ROOT:-$VAR/media}"
# With S3_BUCKET set, uploaded and generated files live in the object store, not in MEDIA_ROOT:
# this script cannot copy a bucket (nor decrypt-and-reupload one on restore), so it backs up the
# database alone and says so, loudly and in the manifest. The bucket is backed up by the object
# store itself (versioning with a 35-day expiry of old versions, replication, or `aws s3 sync` to
# storage that keeps the same retention): README.md, Backups.
S3_BUCKET="${S3_BUCKET:-}"
if [[ -n "$S3_BUCKET" ]]; then
	echo "backup: WARNING: S3_BUCKET=$S3_BUCKET is set: the uploaded and generated files are in that bucket and are NOT in this backup (database only). Back the bucket up with the object store's versioning or replication, or aws s3 sync (README.md, Backups)." >&2
fi
BACKUPS="${BACKUP_DIR:-$VAR/backups}"

database="$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
	--command 'SELECT current_database()')" || die "cannot connect to the database of DATABASE_URL."

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUPS/$database-$stamp"
# Written under a .partial name and renamed at the end: a folder without it is complete.
work="$target.partial"
[[ -e "$target" || -e "$work" ]] && die "$target already exists (two backups in the same second?)."
# Encrypted, but still nobody else's business: folders and files for the owner only.
umask 077
mkdir -p "$BACKUPS"
mkdir "$work"
trap 'rm -rf "$work"' EXIT

# Streamed: the dump and the archive exist in clear only in the pipes, never on disk.
pg_dump --dbname="$DATABASE_URL" --format=custom --no-password |
	age --encrypt "${age_args[@]}" --output="$work/database.dump.age"

media_files=0
if [[ -z "$S3_BUCKET" && -d "$MEDIA" ]]; then
	media_files="$(find "$MEDIA" -mindepth 1 ! -type d -printf . | wc -c)"
	tar --create --gzip --file=- --directory="$MEDIA" . |
		age --encrypt "${age_args[@]}" --output="$work/media.tar.gz.age"
else
	# No media yet, or media in the object store: an empty archive keeps every backup folder the
	# same shape.
	tar --create --gzip --file=- --files-from=/dev/null |
		age --encrypt "${age_args[@]}" --output="$work/media.tar.gz.age"
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

# In clear, so it holds nothing personal: names of tables, counts, sizes, checksums, public keys.
{
	echo "Quartiers en dialogue backup"
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "database: $database"
	echo "pg_dump: $(pg_dump --version)"
	if [[ -n "$S3_BUCKET" ]]; then
		echo "media: NOT INCLUDED, in the object store bucket $S3_BUCKET (back it up there)"
	else
		echo "media_root: $MEDIA"
	fi
	echo "encryption: age $(age --version) to ${recipients[*]}"
	echo
	echo "sizes (bytes, encrypted):"
	echo "database.dump.age $(stat --format=%s "$work/database.dump.age")"
	echo "media.tar.gz.age $(stat --format=%s "$work/media.tar.gz.age")"
	echo "media files: $media_files"
	echo
	# sha256sum format, so that restore.sh (or anyone) checks them with `sha256sum --check`,
	# without the key.
	echo "sha256:"
	(cd "$work" && sha256sum database.dump.age media.tar.gz.age)
	echo
	echo "rows:"
	echo "$rows"
} >"$work/manifest.txt"

mv "$work" "$target"
trap - EXIT
echo "Backup written to $target" >&2

# Retention, only once this backup is complete: every folder <name>-<UTC timestamp> (complete or an
# interrupted .partial) whose timestamp is older than the retention goes, whatever its database
# (the name is read, not the modification time, which a copy or a restore of the files changes).
# The timestamps have a fixed width, so comparing them as strings compares the dates.
cutoff="$(date -u -d "$retention days ago" +%Y%m%dT%H%M%SZ)"
for folder in "$BACKUPS"/*; do
	[[ -d "$folder" && "$folder" != "$target" ]] || continue
	[[ "$(basename "$folder")" =~ -([0-9]{8}T[0-9]{6}Z)(\.partial)?$ ]] || continue
	if [[ "${BASH_REMATCH[1]}" < "$cutoff" ]]; then
		rm -rf -- "$folder"
		echo "Pruned $folder (older than $retention days)" >&2
	fi
done

echo "$target"
