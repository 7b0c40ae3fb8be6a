"""The service-control plane's pure core: who gets service where and when, and the audit chain.

Country statuses, geofences, terminals, the decision engine and impact analysis live here as
computation only; `leolink.policy.audit` holds the hash chain and its signed checkpoints.
Nothing in this package touches a database, a file or the network: `leolink.store` keeps the
data and the log, and an import-linter contract keeps this package free of it.
"""
