"""moto's server, with the one RDS behaviour Lifeline's vault copy needs that moto 5 lacks.

In AWS an account may copy a manual snapshot another account shared with it (its `restore` attribute
names the copying account), giving the snapshot's ARN. moto looks the ARN up in the caller's own
account only, so the copy fails with DBSnapshotNotFound. This finds such a snapshot in the account the
ARN names, and only if it is shared with the caller (or public), as AWS does. Everything else is moto's.

Usage, as `python3 -m moto.server`: python3 moto_server.py -H 127.0.0.1 -p 5000
"""

import sys

from moto.rds.models import RDSBackend
from moto.server import main

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

if __name__ == "__main__":
    main(sys.argv[1:])
