"""The ``leolink`` command line: Typer commands, thin over `leolink.api`."""
