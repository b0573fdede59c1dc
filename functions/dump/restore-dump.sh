#!/bin/sh
# Restores an archived dump: fetches it and its manifest from the archive bucket, checks the SHA-256, and loads it
# with pg_restore (PostgreSQL) or mariadb/mysql (the MySQL family). Exit codes: 0 restored (or, with --verify-only,
# verified) · 1 failed (a digest mismatch, a tool error) · 3 the dump is in Deep Archive and not restored yet ·
# 64 a bad command line.
set -eu

usage() {
  cat <<'USAGE'
Usage: npm run restore-dump -- --bucket <bucket> --key <dumps/.../name.dump|.sql> [options]

  Restores one archived dump into a database you name. The dump sits in S3 Glacier Deep Archive: first ask S3 to
  restore a readable copy, which takes up to 12 hours (Standard tier) or 48 hours (Bulk tier):

    aws s3api restore-object --bucket <bucket> --key <key> \
      --restore-request '{"Days":7,"GlacierJobParameters":{"Tier":"Standard"}}'

  (or run this command with --request-restore), then run it again once the copy is ready
  (aws s3api head-object --bucket <bucket> --key <key> shows Restore: ongoing-request="false").

  --bucket <name>       the archive bucket (in the DR region: <name>-<id>-<account>-<drRegion>)
  --key <key>           the dump's key; its manifest is beside it (<name>.manifest.json)
  --region <region>     the bucket's region. Default: the AWS CLI's
  --host, --port        the database server to restore into. Default: localhost, the engine's port
  --user <name>         who connects; the password comes from DB_PASSWORD
  --database <name>     the database to restore into; it must exist (createdb / CREATE DATABASE) and be empty
  --tls                 connect with TLS (sslmode=require; mariadb --ssl; mysql --ssl-mode=REQUIRED)
  --request-restore     ask S3 for a readable copy of an archived dump (7 days, --tier Standard|Bulk) and exit 3
  --tier <tier>         the restore tier for --request-restore. Default: Standard
  --verify-only         fetch and check the SHA-256, restore nothing
  --keep <dir>          keep the fetched dump and manifest in <dir>
  -h, --help            print this and exit

Needs the AWS CLI, sha256sum (or shasum), and pg_restore (as new as the pg_dump in the manifest's "tool") or the
mariadb/mysql client.
USAGE
}

bucket="" key="" region="" host="localhost" port="" user="" database="" request=false tier=Standard verify=false keep="" tls=false
while [ $# -gt 0 ]; do
  case "$1" in
  --bucket | --key | --region | --host | --port | --user | --database | --tier | --keep)
    [ $# -ge 2 ] || {
      echo "restore-dump: $1 needs a value" >&2
      exit 64
    }
    case "$1" in
    --bucket) bucket="$2" ;; --key) key="$2" ;; --region) region="$2" ;; --host) host="$2" ;; --port) port="$2" ;;
    --user) user="$2" ;; --database) database="$2" ;; --tier) tier="$2" ;; --keep) keep="$2" ;;
    esac
    shift 2
    ;;
  --request-restore) request=true && shift ;;
  --tls) tls=true && shift ;;
  --verify-only) verify=true && shift ;;
  -h | --help) usage && exit 0 ;;
  *)
    echo "restore-dump: unknown option $1 (see --help)" >&2
    exit 64
    ;;
  esac
done
[ -n "$bucket" ] && [ -n "$key" ] || {
  echo "restore-dump: --bucket and --key are required (see --help)" >&2
  exit 64
}
$verify || $request || [ -n "$database" ] || {
  echo "restore-dump: --database is required to restore (or --verify-only)" >&2
  exit 64
}

aws_() { if [ -n "$region" ]; then aws --region "$region" "$@"; else aws "$@"; fi; }
manifest_key="${key%.*}.manifest.json"

# An archived dump must be restored by S3 before it can be read.
head="$(aws_ s3api head-object --bucket "$bucket" --key "$key" --output json)"
class="$(printf '%s' "$head" | sed -n 's/.*"StorageClass": *"\([A-Z_]*\)".*/\1/p')"
case "$class" in
GLACIER | DEEP_ARCHIVE)
  if ! printf '%s' "$head" | grep -q 'ongoing-request=\\"false\\"'; then
    if $request; then
      aws_ s3api restore-object --bucket "$bucket" --key "$key" \
        --restore-request "{\"Days\":7,\"GlacierJobParameters\":{\"Tier\":\"$tier\"}}"
      echo "restore-dump: asked S3 to restore s3://$bucket/$key ($tier: Deep Archive takes up to 12 h, Bulk up to 48 h); run this again when head-object shows ongoing-request=\"false\""
    else
      echo "restore-dump: s3://$bucket/$key is in $class and not restored yet; run with --request-restore (or aws s3api restore-object, see --help) and again when it is ready" >&2
    fi
    exit 3
  fi
  ;;
esac
if $request; then
  echo "restore-dump: s3://$bucket/$key is readable already"
  exit 0
fi

dir="${keep:-$(mktemp -d)}"
mkdir -p "$dir"
[ -n "$keep" ] || trap 'rm -rf "$dir"' EXIT
aws_ s3 cp "s3://$bucket/$manifest_key" "$dir/manifest.json" --only-show-errors
file="$(sed -n 's/^  "file": "\(.*\)",$/\1/p' "$dir/manifest.json")"
expected="$(sed -n 's/^  "sha256": "\([0-9a-f]*\)",$/\1/p' "$dir/manifest.json")"
size="$(sed -n 's/^  "size": \([0-9]*\),$/\1/p' "$dir/manifest.json")"
engine="$(sed -n 's/^  "engine": "\(.*\)",$/\1/p' "$dir/manifest.json")"
[ -n "$file" ] && [ -n "$expected" ] && [ -n "$engine" ] || {
  echo "restore-dump: s3://$bucket/$manifest_key is not a Lifeline dump manifest" >&2
  exit 1
}
aws_ s3 cp "s3://$bucket/$key" "$dir/$file" --only-show-errors
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$dir/$file" | cut -d ' ' -f 1)"
else
  actual="$(shasum -a 256 "$dir/$file" | cut -d ' ' -f 1)"
fi
actual_size="$(wc -c <"$dir/$file" | tr -d ' ')"
if [ "$actual" != "$expected" ] || [ "$actual_size" != "$size" ]; then
  echo "restore-dump: s3://$bucket/$key does not match its manifest: sha256 $actual ($actual_size bytes), the manifest says $expected ($size bytes); nothing restored" >&2
  exit 1
fi
echo "restore-dump: $file verified (sha256 $actual, $actual_size bytes)"
$verify && exit 0

case "$engine" in
postgres | aurora-postgresql)
  if $tls; then export PGSSLMODE=require; fi
  PGPASSWORD="${DB_PASSWORD:-}" pg_restore --exit-on-error --no-owner --no-privileges --single-transaction \
    --host="$host" --port="${port:-5432}" ${user:+--username="$user"} --dbname="$database" "$dir/$file"
  ;;
mysql | mariadb | aurora-mysql)
  client="$(command -v mariadb || command -v mysql)" || {
    echo "restore-dump: needs the mariadb or mysql client" >&2
    exit 1
  }
  tls_option=""
  if $tls; then case "$client" in *mariadb) tls_option="--ssl" ;; *) tls_option="--ssl-mode=REQUIRED" ;; esac; fi
  MYSQL_PWD="${DB_PASSWORD:-}" "$client" --protocol=TCP $tls_option --host="$host" --port="${port:-3306}" ${user:+--user="$user"} \
    "$database" <"$dir/$file"
  ;;
*)
  echo "restore-dump: the manifest names engine $engine, which this command cannot restore" >&2
  exit 1
  ;;
esac
echo "restore-dump: restored into $database on $host"
