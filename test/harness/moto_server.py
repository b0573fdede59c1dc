"""moto's server, with what Lifeline's tests need that moto 5 gets wrong or lacks.

1. Trust policies (IAM enforcement on). moto's principal check fails with a TypeError on a statement whose
   principal is a service (`{"Service": "lambda.amazonaws.com"}`), and it compares a role session's ARN
   (`arn:aws:sts::A:assumed-role/R/S`) with the trust's principal as text, so a role session never matches a trust
   that names the role (`arn:aws:iam::A:role/R`), as it does in AWS; and a statement for another principal
   counts as a Deny instead of not applying. These are fixed here; nothing else changes.

2. RDS: copying a snapshot another account shared.

In AWS an account may copy a manual snapshot another account shared with it (its `restore` attribute
names the copying account), giving the snapshot's ARN. moto looks the ARN up in the caller's own
account only, so the copy fails with DBSnapshotNotFound. This finds such a snapshot in the account the
ARN names, and only if it is shared with the caller (or public), as AWS does. Everything else is moto's.

3. IAM action names. moto names the action after the request's signing name, and CloudWatch signs as
`monitoring` while its IAM actions are `cloudwatch:*`, so no policy could ever allow a CloudWatch call. The
action is renamed to its IAM prefix here (test/harness/iam-evaluation.ts maps the same).

4. DynamoDB transactions. There is no IAM action TransactWriteItems: AWS authorizes each operation the transaction
holds (PutItem, UpdateItem, DeleteItem, ConditionCheckItem) on its table, and moto asked for the missing action
instead. Each operation is checked here as AWS does.

5. Route 53: a hosted zone with a chosen id. AWS assigns a zone's id when it is created, and a Lifeline config names
it before the harness creates it. A CallerReference `lifeline-harness-zone:<id>` creates the zone under that id;
every other zone gets moto's own.

6. Signatures of S3 requests whose query holds a reserved character (ListObjectsV2 with `prefix=dumps/a/`). moto
checks the signature over the query as its server decoded it (`prefix=dumps/a/`), while the client signed it
encoded as SigV4 requires (`prefix=dumps%2Fa%2F`), so every such request failed with SignatureDoesNotMatch. The
query is encoded again here, as SigV4 canonicalizes it, before the signature is computed.

7. RDS: a promoted read replica. In AWS, PromoteReadReplica makes the replica a standalone instance: it no longer
names a source (ReadReplicaSourceDBInstanceIdentifier is absent) and its source no longer lists it. moto 5 only
stops calling it a replica, and keeps reporting the source. Both are cleared here once the promote is done.

Usage, as `python3 -m moto.server`: python3 moto_server.py -H 127.0.0.1 -p 5000
"""

import re
import sys

from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from moto.iam.access_control import IAMPolicyStatement, IAMRequestBase, PermissionResult, S3IAMRequest
from moto.rds.models import RDSBackend
from moto.server import main


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_principal(self, principal):
    expected = self._statement.get("Principal")
    if not expected:
        return True
    if expected == "*":
        return True
    aws = _as_list(expected.get("AWS")) if isinstance(expected, dict) else []
    if "*" in aws:
        return True
    candidates = {principal}
    session = re.match(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/", principal or "")
    if session:
        candidates.add(f"arn:aws:iam::{session.group(1)}:role/{session.group(2)}")
    account = re.match(r"^arn:aws:(?:iam|sts)::(\d{12}):", principal or "")
    if account:
        candidates.update({account.group(1), f"arn:aws:iam::{account.group(1)}:root"})
    return any(p in candidates for p in aws)


_statement_decision = IAMPolicyStatement.is_action_permitted


def _is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    # A statement for another principal does not apply (moto called that a Deny).
    if principal and self._statement.get("Principal") and not _check_principal(self, principal):
        return PermissionResult.NEUTRAL
    if resource == "*" and not principal:
        return _action_level_decision(self, action)
    return _statement_decision(self, action, resource, principal, incoming_condition_values)


def _action_level_decision(self, action):
    """For the many services where moto does not know the resource of a call (it passes "*"), moto matched no
    resource-scoped statement and turned every conditioned Allow into a Deny, so least privilege could not pass.
    Here the gate is the action: an Allow that names it permits, whatever its resource and conditions; a Deny
    counts only when it is unconditional on every resource. Resources and conditions are judged after the run by
    the IAM evaluator over the recorded calls (test/harness/iam-evaluation.ts)."""
    names = "NotAction" if "NotAction" in self._statement else "Action"
    matches = self._check_element_matches(names, action)
    if names == "NotAction":
        matches = not matches
    if not matches:
        return PermissionResult.NEUTRAL
    if self._statement.get("Effect") == "Allow":
        return PermissionResult.PERMITTED
    resources = _as_list(self._statement.get("Resource"))
    if "*" in resources and not self._statement.get("Condition"):
        return PermissionResult.DENIED
    return PermissionResult.NEUTRAL


IAMPolicyStatement._check_principal = _check_principal
IAMPolicyStatement.is_action_permitted = _is_action_permitted

_own_account_lookup = RDSBackend.get_snapshot


def _get_snapshot(self, identifier, resource_type, not_found_exception):
    parts = identifier.split(":") if identifier.startswith("arn:") else []
    if len(parts) >= 7 and parts[4] != self.account_id:
        region, account, name = parts[3], parts[4], parts[-1]
        snapshots = self.get_backend("rds", region=region, account_id=account).resource_map[resource_type]
        snapshot = snapshots.get(name)
        shared_with = set(getattr(snapshot, "attributes", {}).get("restore", [])) if snapshot else set()
        if snapshot is None or not shared_with & {self.account_id, "all"}:
            raise not_found_exception(identifier)
        return snapshot
    return _own_account_lookup(self, identifier, resource_type, not_found_exception)


RDSBackend.get_snapshot = _get_snapshot

# Signing names whose IAM prefix differs.
_SIGNING_TO_PREFIX = {"monitoring": "cloudwatch"}
_request_init = IAMRequestBase.__init__


def _init_request(self, *args, **kwargs):
    _request_init(self, *args, **kwargs)
    prefix = _SIGNING_TO_PREFIX.get(self._service)
    if prefix:
        self._action = f"{prefix}:{self._action.split(':', 1)[1]}"


IAMRequestBase.__init__ = _init_request

_check_action = IAMRequestBase.check_action_permitted
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


def _check_action_permitted(self, resource):
    if self._action != "dynamodb:TransactWriteItems":
        return _check_action(self, resource)
    import json

    items = json.loads(self._body or b"{}").get("TransactItems", [])
    try:
        for item in items:
            for kind, action in _TRANSACT_ACTIONS.items():
                if kind in item:
                    self._action = f"dynamodb:{action}"
                    _check_action(self, resource)
    finally:
        self._action = "dynamodb:TransactWriteItems"


IAMRequestBase.check_action_permitted = _check_action_permitted

from moto.route53.models import Route53Backend

_create_zone = Route53Backend.create_hosted_zone
_ZONE_REFERENCE = "lifeline-harness-zone:"


def _create_hosted_zone(self, name, private_zone, caller_reference=None, *args, **kwargs):
    zone = _create_zone(self, name, private_zone, caller_reference, *args, **kwargs)
    if caller_reference and caller_reference.startswith(_ZONE_REFERENCE):
        chosen = caller_reference[len(_ZONE_REFERENCE):]
        self.zones.pop(zone.resource_id, None)
        zone.resource_id = chosen
        self.zones[chosen] = zone
    return zone


Route53Backend.create_hosted_zone = _create_hosted_zone


_create_s3_request = S3IAMRequest._create_aws_request


def _create_s3_aws_request(self):
    request = _create_s3_request(self)
    parts = urlsplit(request.url)
    if parts.query:
        encoded = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
        request.url = urlunsplit(parts._replace(query=encoded))
    return request


S3IAMRequest._create_aws_request = _create_s3_aws_request


_promote_read_replica = RDSBackend.promote_read_replica


def _promote_standalone(self, db_kwargs):
    database = self.databases.get(db_kwargs["db_instance_identifier"])
    source = database.source_db_instance_identifier if database is not None and database.is_replica else None
    promoted = _promote_read_replica(self, db_kwargs)
    if source:
        try:
            primary = self.find_db_from_id(source)
            for name in (promoted.db_instance_arn, promoted.db_instance_identifier):
                if name in primary.replicas:
                    primary.replicas.remove(name)
        except Exception:
            pass
        promoted.source_db_instance_identifier = None
    return promoted


RDSBackend.promote_read_replica = _promote_standalone

if __name__ == "__main__":
    main(sys.argv[1:])
