"""pytest plugin (``-p peer_outcomes --peer-outcomes=FILE``): one JSON line per test phase.

compare.py copies it beside the suite and loads it into the suite's own pytest run; it only observes
reports. compare.py folds the phases into one outcome per test.
"""

import json

_path = None


def pytest_addoption(parser):
    parser.addoption("--peer-outcomes", help="append one JSON line per test phase to this file")


def pytest_configure(config):
    global _path
    _path = config.getoption("peer_outcomes")


def pytest_runtest_logreport(report):
    if _path is None:
        return
    message = ""
    if report.failed and report.longrepr is not None:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr)
    record = {
        "nodeid": report.nodeid,
        "when": report.when,
        "outcome": report.outcome,
        "xfail": hasattr(report, "wasxfail"),
        "message": message.strip().splitlines()[0][:160] if message.strip() else "",
    }
    with open(_path, "a") as f:
        f.write(json.dumps(record) + "\n")
