#!/usr/bin/env bash
# Restore a backup folder written by scripts/backup.sh: decrypt it with the age identity file named
# by BACKUP_AGE_IDENTITY (the secret key, kept off the server that makes the backups), pg_restore
# into the database named by DATABASE_URL (its tables are dropped and recreated) and untar the media
# into MEDIA_ROOT. Both are decrypted in a pipe: nothing readable is written to disk but the result.
# Usage: FILE=var/backups/<database>-<timestamp> BACKUP_AGE_IDENTITY=<key file> scripts/restore.sh
# (`make restore FILE=...`). Refused when DEBUG is off (production) unless FORCE=1.
set -euo pipefail

cd "$(dirname "$0")/.."

die() {
	echo "restore: $*" >&2
	exit 1
}

FILE="${FILE:-}"
[[ -n "$FILE" ]] || die "say which backup to restore: FILE=var/backups/<database>-<timestamp>."
[[ -d "$FILE" ]] || die "FILE=$FILE is not a folder (give the backup folder, not a file in it)."
if [[ -f "$FILE/database.dump" && ! -f "$FILE/database.dump.age" ]]; then
	die "$FILE is an unencrypted backup made before backups were encrypted: this script restores only encrypted ones (pg_restore its database.dump by hand, then delete it)."
fi
for part in manifest.txt database.dump.age media.tar.gz.age; do
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

IDENTITY="${BACKUP_AGE_IDENTITY:-}"
[[ -n "$IDENTITY" ]] ||
	die "BACKUP_AGE_IDENTITY is not set: give the path of the age identity file (the secret key made by age-keygen) that decrypts the backup."
[[ -f "$IDENTITY" && -r "$IDENTITY" ]] || die "BACKUP_AGE_IDENTITY=$IDENTITY is not a readable file."

for tool in pg_restore psql tar sha256sum age; do
	command -v "$tool" >/dev/null || die "$tool is not installed (make system-deps)."
done

# A damaged or half-copied backup is refused before anything is touched.
(cd "$FILE" && grep -E '^[0-9a-f]{64}  ' manifest.txt | sha256sum --check --quiet --strict) ||
	die "$FILE does not match the sha256 of its manifest.txt: refusing to restore it."

# The first bytes of each file, decrypted, must be a custom-format dump ("PGDMP") and a gzip
# archive: a wrong key (or a file encrypted to another one) is refused before anything is touched.
# Only those bytes are read; age stops on the closed pipe, hence no check of its exit status here
# (its own error, such as "no identity matched any of the recipients", still shows).
first_bytes() {
	{ age --decrypt --identity="$IDENTITY" "$1" || true; } | head --bytes="$2" | od -An -tx1 | tr -d ' \n'
}
[[ "$(first_bytes "$FILE/database.dump.age" 5)" == 5047444d50 ]] ||
	die "BACKUP_AGE_IDENTITY=$IDENTITY does not decrypt $FILE/database.dump.age (not the key this backup was encrypted to?): nothing restored."
[[ "$(first_bytes "$FILE/media.tar.gz.age" 2)" == 1f8b ]] ||
	die "BACKUP_AGE_IDENTITY=$IDENTITY does not decrypt $FILE/media.tar.gz.age (not the key this backup was encrypted to?): nothing restored."

VAR="${VAR_DIR:-var}"
MEDIA="${MEDIA_ROOT:-$VAR/media}"

database="$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
	--command 'SELECT current_database()')" || die "cannot connect to the database of DATABASE_URL."
echo "Restoring $FILE into the database $database and $MEDIA..." >&2

# One transaction: if anything fails (decryption included: pipefail) the database is left as it
# was. --no-owner and --no-privileges: the roles of the server the dump came from need not exist
# here; the objects belong to the user of DATABASE_URL.
age --decrypt --identity="$IDENTITY" "$FILE/database.dump.age" |
	pg_restore --dbname="$DATABASE_URL" --clean --if-exists --no-owner --no-privileges \
		--single-transaction --no-password

if [[ -n "${S3_BUCKET:-}" ]]; then
	# The portal reads its files from the bucket: files unpacked on this disk would be read by
	# nobody. The bucket is restored by the object store's own means (README.md, Backups).
	echo "restore: WARNING: S3_BUCKET=$S3_BUCKET is set: the files are not restored (database only); restore the bucket from its versions or replica." >&2
else
	# Files added since the backup are kept (no row points at them after the restore).
	mkdir -p "$MEDIA"
	age --decrypt --identity="$IDENTITY" "$FILE/media.tar.gz.age" |
		tar --extract --gzip --file=- --directory="$MEDIA" --no-same-owner
fi

echo "Restored $FILE into $database." >&2
