"""The service's routes, one module per area: public reads, statuses, geofences, terminals,
audit."""
