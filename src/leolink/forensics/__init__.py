"""Shutdown forensics: from terminal telemetry to what happened, where, when — and whether it
was logged.

`reports` reads telemetry in the dish API's vocabulary; `simulate` makes synthetic telemetry
with hidden truth; `infer` turns reports into findings; `log` matches them against the policy
records in force.  Pure: the store is read at the edges (CLI, service) and given as records.
"""

from leolink.forensics.infer import AREA_CODES, Finding, FindingKind, Inference, infer
from leolink.forensics.log import LogMatch, NotEnforced, PolicyLog, findings_document, match_log
from leolink.forensics.reports import (
    FIELDS,
    ReportProblem,
    Reports,
    ReportsRead,
    parse_report_lines,
    read_reports,
    reports_from_columns,
    reports_from_records,
    reports_to_jsonl,
    reports_to_records,
    write_reports,
)
from leolink.forensics.simulate import (
    GroundOutage,
    Jamming,
    Restriction,
    Simulation,
    disk,
    scenario_restrictions,
    simulate,
    study_area,
)
from leolink.forensics.sky import CoverageModel

__all__ = [
    "AREA_CODES",
    "FIELDS",
    "CoverageModel",
    "Finding",
    "FindingKind",
    "GroundOutage",
    "Inference",
    "Jamming",
    "LogMatch",
    "NotEnforced",
    "PolicyLog",
    "ReportProblem",
    "Reports",
    "ReportsRead",
    "Restriction",
    "Simulation",
    "disk",
    "findings_document",
    "infer",
    "match_log",
    "parse_report_lines",
    "read_reports",
    "reports_from_columns",
    "reports_from_records",
    "reports_to_jsonl",
    "reports_to_records",
    "scenario_restrictions",
    "simulate",
    "study_area",
    "write_reports",
]
