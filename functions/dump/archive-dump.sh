#!/bin/sh
# The archive dump of a database a passing drill restored, in two steps that run in two containers of one Fargate
# task and share $DUMP_DIR: `dump` (in the engine's public image: pg_dump, mysqldump or mariadb-dump) writes the dump
# and its SHA-256 manifest; `upload` (in the public aws-cli image) checks the digest again and puts both into the
# archive bucket under SSE-KMS, the dump straight into Deep Archive. Tests run this same file against local databases.
#
# Environment: ENGINE, ENGINE_VERSION, DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD (from the credentials secret),
# DUMP_DIR, DUMP_FILE, ARCHIVE_BUCKET, DUMP_KEY, MANIFEST_KEY, ARCHIVE_KMS_KEY, ARCHIVE_CLASS, DATABASE,
# SOURCE_SNAPSHOT, DRILL_EXECUTION.
set -eu

step="${1:?usage: archive-dump.sh dump|upload}"
dump="$DUMP_DIR/$DUMP_FILE"
manifest="$DUMP_DIR/manifest.json"

fail() {
  echo "archive-dump: $*" >&2
  exit 1
}

# JSON string escaping for the few values a manifest carries (no control characters are expected in them).
json() {
  printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

dump_postgres() {
  # Custom format: compressed, restored selectively and in parallel by pg_restore. TLS is required; the server
  # certificate is not verified (the engine image has no RDS CA bundle); the endpoint comes from RDS's own API.
  PGPASSWORD="$DB_PASSWORD" PGSSLMODE="${PGSSLMODE:-require}" pg_dump --format=custom --no-owner --no-privileges \
    --host="$DB_HOST" --port="$DB_PORT" --username="$DB_USER" --dbname="$DB_NAME" --file="$dump"
  tool="$(pg_dump --version)"
}

dump_mysql() {
  if command -v mariadb-dump >/dev/null 2>&1; then
    program=mariadb-dump
    tls="--ssl"
  else
    program=mysqldump
    tls="--ssl-mode=REQUIRED"
  fi
  # RDS does not give the master user SUPER: leave GTID_PURGED out of the dump (mysqldump only knows the option).
  gtid=""
  if "$program" --help 2>/dev/null | grep -q -- '--set-gtid-purged'; then gtid="--set-gtid-purged=OFF"; fi
  # One consistent snapshot (InnoDB) without locking; routines, triggers and events with the tables.
  MYSQL_PWD="$DB_PASSWORD" "$program" --protocol=TCP $tls --host="$DB_HOST" --port="$DB_PORT" --user="$DB_USER" \
    --single-transaction --quick --routines --triggers --events --hex-blob $gtid \
    --result-file="$dump" "$DB_NAME"
  tool="$("$program" --version)"
}

case "$step" in
dump)
  mkdir -p "$DUMP_DIR"
  case "$ENGINE" in
  postgres | aurora-postgresql) dump_postgres ;;
  mysql | mariadb | aurora-mysql) dump_mysql ;;
  *) fail "no dump for engine $ENGINE" ;;
  esac
  [ -s "$dump" ] || fail "the dump $dump is empty"
  sha256="$(sha256sum "$dump" | cut -d ' ' -f 1)"
  size="$(wc -c <"$dump" | tr -d ' ')"
  {
    printf '{\n'
    printf '  "file": %s,\n' "$(json "$DUMP_FILE")"
    printf '  "size": %s,\n' "$size"
    printf '  "sha256": %s,\n' "$(json "$sha256")"
    printf '  "format": %s,\n' "$(json "$(case "$ENGINE" in *postgres*) echo pg_dump-custom ;; *) echo sql ;; esac)")"
    printf '  "database": %s,\n' "$(json "$DATABASE")"
    printf '  "databaseName": %s,\n' "$(json "$DB_NAME")"
    printf '  "engine": %s,\n' "$(json "$ENGINE")"
    printf '  "engineVersion": %s,\n' "$(json "$ENGINE_VERSION")"
    printf '  "tool": %s,\n' "$(json "$tool")"
    printf '  "sourceSnapshot": %s,\n' "$(json "$SOURCE_SNAPSHOT")"
    printf '  "drillExecution": %s,\n' "$(json "$DRILL_EXECUTION")"
    printf '  "class": %s,\n' "$(json "$ARCHIVE_CLASS")"
    printf '  "key": %s,\n' "$(json "$DUMP_KEY")"
    printf '  "createdAt": %s\n' "$(json "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    printf '}\n'
  } >"$manifest"
  echo "archive-dump: dumped $DB_NAME ($size bytes, sha256 $sha256)"
  ;;
upload)
  [ -s "$manifest" ] || fail "no manifest at $manifest: the dump did not finish"
  expected="$(sed -n 's/^  "sha256": "\([0-9a-f]*\)",$/\1/p' "$manifest")"
  actual="$(sha256sum "$dump" | cut -d ' ' -f 1)"
  [ "$expected" = "$actual" ] || fail "$dump has sha256 $actual, its manifest says $expected"
  # The dump goes straight to Deep Archive (the archive is for years, read only to restore); the manifest stays in
  # the bucket's tiers, small and readable without a restore. The manifest is written last: it marks a dump complete.
  aws s3 cp "$dump" "s3://$ARCHIVE_BUCKET/$DUMP_KEY" --only-show-errors --storage-class DEEP_ARCHIVE \
    --sse aws:kms --sse-kms-key-id "$ARCHIVE_KMS_KEY" --content-type application/octet-stream
  aws s3 cp "$manifest" "s3://$ARCHIVE_BUCKET/$MANIFEST_KEY" --only-show-errors \
    --sse aws:kms --sse-kms-key-id "$ARCHIVE_KMS_KEY" --content-type application/json
  echo "archive-dump: s3://$ARCHIVE_BUCKET/$DUMP_KEY and its manifest"
  ;;
*) fail "unknown step $step (dump or upload)" ;;
esac
