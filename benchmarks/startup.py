"""Interpreter start-up cost, counted in instructions by callgrind (deterministic, load-independent).

Each count is one callgrind run of ``python -c CODE`` in a bench venv, right after one untimed run in
the same state (warm page cache, warm sandbox-trust bundle cache). Ratios compare states of the same
venv; the floor is the same venv with an empty ``zz.pth`` (what ``site`` charges for any .pth).
"""

import concurrent.futures
import os
import re
import subprocess

from lab import DEFAULT_CA_PATH, GATE_SOURCE, PTH_LINE, ROOT, log, scrubbed_env

COMMANDS = {
    "pass": "pass",
    "import ssl": "import ssl",
    "import requests": "import requests",
    "import httpx": "import httpx",
}
QUICK_COMMANDS = ("pass", "import ssl")
# The least a program does after start: one import from the standard library. On 3.15 a `.start`
# floor ends `python -c pass` just short of thresholds of CPython's own (the young generation's
# collection first) that a start with work to do trips, and that the floor's program
# trips at its first allocations: after this command both have crossed them, so the package's own
# cost shows (docs/design.md, "What a `.start` costs on 3.15"). Measured in every run, CA present.
THRESHOLD_COMMAND = "import json"
TRUSTSTORE_PREFIX = "import truststore;truststore.inject_into_ssl();"

WITHOUT_START = "sandbox-trust without .start"
# Installed states: (distributions switched on, extra files in site-packages).
INSTALLS = {
    "none": ((), None),
    "empty .pth": ((), {"zz.pth": ""}),
    # The .pth and the gate it imports, without the boot module: what a start with nothing to do runs.
    ".pth line alone": ((), {"sandbox_trust.pth": PTH_LINE + "\n", "_sandbox_trust_gate.py": GATE_SOURCE}),
    # PEP 829 (CPython 3.15+): a .start naming an empty module's no-op; older versions ignore it. What
    # any package with a .start pays before it does anything (site imports pkgutil for the first one).
    "empty .start": ((), {"zz.start": "_stb_empty:start\n", "_stb_empty.py": "def start():\n    pass\n"}),
    "sandbox-trust": (("sandbox-trust",), None),
    # The package with its .start moved aside: on 3.15 the .pth import line runs instead (run_group).
    WITHOUT_START: (("sandbox-trust",), None),
    "pip-system-certs 5.3": (("pip-system-certs",), None),
    "certifi-linux 1.1": (("certifi-linux",), None),
    "truststore.inject_into_ssl()": ((), None),  # the command itself calls it first
}

_CA = DEFAULT_CA_PATH
# The checks inline in the .pth line, as shipped until the gate module replaced them (docs/design.md).
INLINE_LINE = (
    "import os;(e('SANDBOX_TRUST_EXPORTED')if'1'==(e:=os.getenv)('SANDBOX_TRUST_DISABLE')else "
    "e('SANDBOX_INTERCEPT_HTTPS')or os.path.exists(e('SANDBOX_CA_CERT')or'%s'))and "
    "__import__('_sandbox_trust_boot')" % _CA
)
# Equivalent spellings of the .pth gate, measured where the gate decides "nothing to do".
PTH_VARIANTS = {
    "repo line (import _sandbox_trust_gate)": PTH_LINE,
    "the checks inline (the former line)": INLINE_LINE,
    "os.access(path, 0)": (
        "import os;e=os.environ.get;'1'!=e('SANDBOX_TRUST_DISABLE')and('1'==e('SANDBOX_INTERCEPT_HTTPS')"
        "or os.access(e('SANDBOX_CA_CERT')or'%s',0))and __import__('_sandbox_trust_boot').boot()" % _CA
    ),
    "no alias (os.environ.get x3)": (
        "import os;'1'!=os.environ.get('SANDBOX_TRUST_DISABLE')and("
        "'1'==os.environ.get('SANDBOX_INTERCEPT_HTTPS')or os.path.exists(os.environ.get('SANDBOX_CA_CERT')"
        "or'%s'))and __import__('_sandbox_trust_boot').boot()" % _CA
    ),
    "os.getenv alias": (
        "import os;g=os.getenv;'1'!=g('SANDBOX_TRUST_DISABLE')and('1'==g('SANDBOX_INTERCEPT_HTTPS')"
        "or os.path.exists(g('SANDBOX_CA_CERT')or'%s'))and __import__('_sandbox_trust_boot').boot()" % _CA
    ),
    "import boot module always": "import _sandbox_trust_boot as b;b.boot()",
    "'import os' alone (exec floor)": "import os",
    "'import os' + an empty module (import floor)": "import os;__import__('_stb_empty')",
}
# What the least a package with work at start pays: the smallest line plus one module import.
FLOOR_VARIANTS = {
    "nothing to do": "'import os' alone (exec floor)",
    "CA present": "'import os' + an empty module (import floor)",
}


def variant_files(name):
    files = {"sandbox_trust.pth": PTH_VARIANTS[name] + "\n"}
    if "_sandbox_trust_gate" in PTH_VARIANTS[name]:
        files["_sandbox_trust_gate.py"] = GATE_SOURCE
    if "_stb_empty" in PTH_VARIANTS[name]:
        files["_stb_empty.py"] = ""
    if "import _sandbox_trust_boot" in PTH_VARIANTS[name]:
        with open(ROOT + "/src/_sandbox_trust_boot.py") as f:
            files["_sandbox_trust_boot.py"] = f.read()
    return files


def states(certs):
    """Environment states: the gate's three answers."""
    return {
        "nothing to do": {},
        "CA present": {"SANDBOX_CA_CERT": certs.ca_path},
        "opted out": {"SANDBOX_CA_CERT": certs.ca_path, "SANDBOX_TRUST_DISABLE": "1"},
    }


# Relative callgrind cost of one run (python -c pass = 1), to balance the groups over the workers.
COST = {"pass": 1, "import ssl": 2.8, "import requests": 12, "import httpx": 9, THRESHOLD_COMMAND: 1.7}
ALTERNATIVE_COST = {
    "pip-system-certs 5.3": 26,
    "certifi-linux 1.1": 8.5,
    "truststore.inject_into_ssl()": 12.5,
}


def plan(commands, quick):
    """Groups of runs; a group runs in one venv, so every ratio inside it is same-venv."""
    groups = []
    for command in commands:
        rows = [
            ("none", "nothing to do"),
            ("sandbox-trust", "nothing to do"),
            ("none", "CA present"),
            ("sandbox-trust", "CA present"),
        ]
        if command in ("pass", "import ssl"):  # the .pth floor is a fixed cost: measured where it shows
            rows += [
                ("empty .pth", "nothing to do"),
                (".pth line alone", "nothing to do"),
                ("empty .pth", "CA present"),
            ]
        if command == "pass":
            rows += [("none", "opted out"), ("sandbox-trust", "opted out"), ("empty .start", "nothing to do")]
            rows += [(WITHOUT_START, "nothing to do"), (WITHOUT_START, "CA present")]
            # The floors the guards are set from are measured in every run; the other spellings in full runs.
            names = PTH_VARIANTS if not quick else FLOOR_VARIANTS.values()
            rows += [("variant:" + name, "nothing to do") for name in names]
        groups.append([(command, install, state) for install, state in rows])
    # The guards' CA-present comparison past the thresholds: both spellings and both floors, one venv.
    rows = [
        ("none", "nothing to do"),
        ("none", "CA present"),
        ("sandbox-trust", "CA present"),
        (WITHOUT_START, "CA present"),
        ("empty .start", "nothing to do"),
        ("variant:" + FLOOR_VARIANTS["CA present"], "nothing to do"),
    ]
    groups.append([(THRESHOLD_COMMAND, install, state) for install, state in rows])
    # The alternatives cost the same fixed start-up whatever follows: counted on `python -c pass`.
    groups.append([("pass", install, "nothing to do") for install in ("none", "pip-system-certs 5.3")])
    groups.append(
        [
            ("pass", install, "nothing to do")
            for install in ("none", "certifi-linux 1.1", "truststore.inject_into_ssl()")
        ]
    )
    return groups


def cost(group):
    return sum(COST[command] * ALTERNATIVE_COST.get(install, 1) for command, install, _ in group)


def _code(command, install):
    code = COMMANDS.get(command, command)
    if install == "truststore.inject_into_ssl()":
        code = TRUSTSTORE_PREFIX + code
    return code


def count(python, home, env, code):
    """Instructions of one start (after one untimed warm-up run in the same state)."""
    return count_argv([python, "-c", code], home, env)


def count_argv(argv, home, env):
    """Instructions of one run of ``argv`` (after one untimed warm-up run in the same state)."""
    code = " ".join(argv[1:])
    full_env = scrubbed_env(home, **env)
    subprocess.run(argv, env=full_env, check=True, capture_output=True)
    process = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        env=full_env,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", process.stderr)
    if process.returncode != 0 or not found:
        raise RuntimeError("callgrind run failed (%s): %s" % (code, process.stderr[-2000:]))
    return int(found.group(1))


def run_group(venv, home, certs, group, group_id):
    env_states = states(certs)
    results = []
    for command, install, state in group:
        if install.startswith("variant:"):
            venv.switch(on=(), extra_pth=variant_files(install[len("variant:") :]))
        else:
            on, extra = INSTALLS[install]
            venv.switch(on=on, extra_pth=extra)
        start_file = os.path.join(venv.site_packages, "sandbox_trust.start")
        if install == WITHOUT_START:  # a name site does not read, put back right after
            os.rename(start_file, start_file + ".aside")
        try:
            n = count(venv.python, home, env_states[state], _code(command, install))
        finally:
            if install == WITHOUT_START:
                os.rename(start_file + ".aside", start_file)
        log("%-14s %-8s %-15s %-32s %12d" % (venv.version, command, state, install, n))
        results.append(
            {
                "python": venv.version,
                "venv": venv.path,
                "group": group_id,
                "command": command,
                "install": install,
                "state": state,
                "instructions": n,
            }
        )
    venv.switch(on=())
    return results


def measure(venvs, home, certs, quick):
    """All start-up counts, spread over the venv copies (one worker per copy)."""
    if os.path.exists(DEFAULT_CA_PATH):
        log("warning: %s exists on this machine: 'nothing to do' is not reachable" % DEFAULT_CA_PATH)
    commands = QUICK_COMMANDS if quick else tuple(COMMANDS)
    groups = plan(commands, quick)
    groups.sort(key=cost, reverse=True)
    free = list(venvs)
    results = []
    with concurrent.futures.ThreadPoolExecutor(len(venvs)) as pool:
        pending = {}
        queue = list(enumerate(groups))
        while queue or pending:
            while queue and free:
                venv = free.pop()
                group_id, group = queue.pop(0)
                pending[pool.submit(run_group, venv, home, certs, group, group_id)] = venv
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                free.append(pending.pop(future))
                results.extend(future.result())
    return results
