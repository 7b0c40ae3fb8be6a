"""The service-control plane's pure core: who gets service where and when, and the audit chain.

- `leolink.policy.records`: the vocabulary (statuses, geofences, terminals, reports) as frozen
  records, and `PolicySnapshot` / `PolicyHistory`, the policy in force at one / any instant;
- `leolink.policy.decide`: the reference engine, `decide`, its codes and their precedence;
- `leolink.policy.batch`: the vectorised engine, `decide_batch`, tested against `decide`;
- `leolink.policy.sky`: the serving satellite above the elevation mask;
- `leolink.policy.sources`: what the engine reads and writes, as protocols the store meets;
- `leolink.policy.defaults`: the default country statuses, dated and sourced;
- `leolink.policy.enforcement`: terminals found by their reports, and their suspension;
- `leolink.policy.impact`: what a proposed geofence would switch off;
- `leolink.policy.scenarios`: the public record replayed against a fresh store;
- `leolink.policy.audit`: the hash chain and its signed checkpoints.

Nothing in this package touches a database, a file outside the package data, or the network:
`leolink.store` keeps the data and the log, and an import-linter contract keeps this package
free of it.
"""
