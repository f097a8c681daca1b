"""docs/benchmarks.md and its chart, from one run's results (also kept as results.json)."""

import collections
import os
import re
import sys

import lazy
from startup import COMMANDS, FLOOR_VARIANTS, PTH_VARIANTS, THRESHOLD_COMMAND, WITHOUT_START

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND_LINE = "python3 benchmarks/run.py"
# Other packages that make Python trust a CA at start, measured beside sandbox-trust.
ALTERNATIVES = ("pip-system-certs 5.3", "certifi-linux 1.1", "truststore.inject_into_ssl()")
# The start-up targets: (command, state, limit on the ratio to the same venv without the package),
# set from the floor measured in docs/design.md ("Startup").
# They are CPython 3.11's (the chart draws them over 3.11's bars only); every version measured is
# also held to guards set from its own floors (GUARDS), which is how Debian's 3.14 and 3.15 are judged.
TARGET_PYTHON = "3.11"
TARGETS = (
    ("pass", "CA present", 1.065),
    ("pass", "nothing to do", 1.025),
    ("import ssl", "CA present", 1.05),
    ("import requests", "CA present", 1.03),
)

# Guards on `python -c pass` for the versions after the targets' (3.14 on: its site charges a .pth
# line several times 3.11's), against floors measured in the same run: state -> allowed excess over
# the floor (FLOOR_VARIANTS names the floor per state).
GUARDS = {"nothing to do": 0.012, "CA present": 0.035}
# The rows of the guards' table: each state on `pass`, and CA present once more on THRESHOLD_COMMAND.
GUARDED = [("pass", state) for state in GUARDS] + [(THRESHOLD_COMMAND, "CA present")]
GUARDED_FROM = (3, 14)
# PEP 829: from 3.15 on, site runs the package's .start (and skips the .pth import line), so the
# floor that version is held to is an empty .start's (site imports pkgutil for the first one).
START_FILE_PYTHON = (3, 15)


CONNECTION_TABLES = (
    ("Wall time per new connection (`time.perf_counter`)", "each"),
    (
        "Client CPU time per new connection (`time.process_time`; less sensitive to the machine's "
        "other load)",
        "each_cpu",
    ),
    ("First connection of a process, wall (loads the roots, and the CA, once)", "first"),
)


def _index(startup):
    """(python, command, state, install) -> instructions; and the group each came from."""
    counts, groups = {}, {}
    for r in startup:
        key = (r["python"], r["command"], r["state"], r["install"])
        counts.setdefault(key, r["instructions"])
        groups.setdefault((r["python"], r["group"]), {})[(r["command"], r["state"], r["install"])] = r[
            "instructions"
        ]
    return counts, groups


def _alternative_ratios(groups):
    """python -> {package: (instructions, ratio to `none` of the same venv)} (counted on `python -c pass`)."""
    out = collections.defaultdict(dict)
    for (python, _), runs in groups.items():
        none = runs.get(("pass", "nothing to do", "none"))
        for (_command, _, install), n in runs.items():
            if install in ALTERNATIVES and none:
                out[python][install] = (n, n / none)
    return out


def _variant_group(groups, python):
    """The runs of the .pth spellings (on `pass`)."""
    run = ("pass", "nothing to do", "variant:" + FLOOR_VARIANTS["nothing to do"])
    return _group_with(groups, python, run)


def _group_with(groups, python, run):
    """The runs of the group of ``python`` that holds ``run`` (command, state, install), or None."""
    for (p, _), runs in groups.items():
        if p == python and run in runs:
            return runs
    return None


def _x(a, b):
    return "%.4fx" % (a / b) if a and b else "n/a"


def floor(counts, python, command, state):
    """`none` + what an empty .pth costs: measured in this state, else the same command's (or `pass`'s)
    nothing-to-do difference added (site's cost for a file is the same whatever runs after it)."""
    none = counts.get((python, command, state, "none"))
    empty = counts.get((python, command, state, "empty .pth"))
    if empty:
        return empty
    for where in (command, "pass"):
        n0 = counts.get((python, where, "nothing to do", "none"))
        e0 = counts.get((python, where, "nothing to do", "empty .pth"))
        if none and n0 and e0:
            return none + (e0 - n0)
    return None


def _pythons(startup):
    return sorted({r["python"] for r in startup}, key=lambda v: tuple(map(int, v.split("."))))


def startup_table(counts, python):
    """sandbox-trust against `none`, the empty .pth and the floor, per command and state."""
    lines = [
        "",
        "### Python %s: sandbox-trust" % python,
        "",
        "Instructions of one start; ratios are to the same venv without the package (`none`) and to "
        "the floor (`none` + an empty `zz.pth`, what `site` charges for any .pth file; where not "
        "measured, the cost of the empty file measured on `pass` is added).",
        "",
        "| command | state | none | empty .pth | .pth line alone | sandbox-trust | vs none | vs floor | "
        "added instructions |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for command in COMMANDS:
        for state in ("nothing to do", "CA present", "opted out"):
            none = counts.get((python, command, state, "none"))
            if none is None:
                continue
            empty = counts.get((python, command, state, "empty .pth"))
            line = counts.get((python, command, state, ".pth line alone"))
            ours = counts.get((python, command, state, "sandbox-trust"))
            base = floor(counts, python, command, state)
            lines.append(
                "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |"
                % (
                    command,
                    state,
                    "{:,}".format(none),
                    _x(empty, none) if empty else "",
                    "%s (floor %s)" % (_x(line, none), _x(line, base)) if line else "",
                    "{:,}".format(ours) if ours else "",
                    _x(ours, none),
                    _x(ours, base),
                    "{:+,}".format(ours - none) if ours else "",
                )
            )
    return lines


def alternatives_table(counts, groups, python):
    """`python -c pass` with each alternative installed, beside sandbox-trust's two states."""
    ratios = _alternative_ratios(groups)
    if python not in ratios:
        return []
    nones = sorted(
        {
            "{:,}".format(runs[("pass", "nothing to do", "none")])
            for (py, _), runs in groups.items()
            if py == python and ("pass", "nothing to do", "none") in runs
        }
    )
    lines = [
        "",
        "### Python %s: alternatives, `python -c pass`" % python,
        "",
        "Alternatives (other packages that add trust at start) act at every start whatever the "
        "environment; each ratio is to `none` of its own venv copy (the copies' counts of `none`: %s)."
        % ", ".join(nones),
        "",
        "| package | instructions | vs none |",
        "|---|--:|--:|",
    ]
    for state in ("nothing to do", "CA present"):
        ours = counts.get((python, "pass", state, "sandbox-trust"))
        none = counts.get((python, "pass", state, "none"))
        if ours and none:
            lines.append("| sandbox-trust (%s) | %s | %s |" % (state, "{:,}".format(ours), _x(ours, none)))
    for package in ALTERNATIVES:
        if package in ratios[python]:
            n, ratio = ratios[python][package]
            lines.append("| %s | %s | %.2fx |" % (package, "{:,}".format(n), ratio))
    return lines


def variants_table(groups, python):
    """Spellings of the .pth gate, each over the empty-.pth floor of the same venv."""
    variants = _variant_group(groups, python)
    if not variants:
        return []
    lines = [
        "",
        "### Python %s: spellings of the .pth gate (`python -c pass`, nothing to do)" % python,
        "",
        "Each variant replaces `sandbox_trust.pth` (the package's modules are not installed, so "
        "only the gate runs); added instructions are over the floor (an empty .pth) in the same "
        "venv.",
        "",
        "| variant | characters | added instructions | text |",
        "|---|--:|--:|---|",
    ]
    for name, text in PTH_VARIANTS.items():
        n = variants.get(("pass", "nothing to do", "variant:" + name))
        f = variants.get(("pass", "nothing to do", "empty .pth"))
        lines.append(
            "| %s | %d | %s | `%s` |"
            % (
                name,
                len(text),
                "{:+,}".format(n - f) if n and f else "n/a",
                text if len(text) < 60 else text[:57] + "...",
            )
        )
    none = variants.get(("pass", "nothing to do", "none"))
    empty = variants.get(("pass", "nothing to do", "empty .pth"))
    if none and empty:
        lines += [
            "",
            "Floor: an empty .pth adds %s instructions (%.2f%%) to `python -c pass`."
            % ("{:,}".format(empty - none), 100.0 * (empty - none) / none),
        ]
    return lines


def startup_section(results):
    counts, groups = _index(results["startup"])
    lines = []
    for python in _pythons(results["startup"]):
        lines += startup_table(counts, python)
        lines += alternatives_table(counts, groups, python)
        lines += variants_table(groups, python)
    return lines


def least_reachable(groups, python, command, state):
    """The ratio of the cheapest .pth that could do the job: see FLOOR_VARIANTS (`pass` only)."""
    variants = _variant_group(groups, python)
    if command != "pass" or not variants or state not in FLOOR_VARIANTS:
        return ""
    n = variants.get(("pass", "nothing to do", "variant:" + FLOOR_VARIANTS[state]))
    return _x(n, variants.get(("pass", "nothing to do", "none"))) if n else ""


def targets_section(results):
    counts, groups = _index(results["startup"])
    python = results.get("python")
    lines = [
        "| target | limit | measured vs none | measured vs floor | least any .pth reaches | met |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for command, state, limit in TARGETS:
        none = counts.get((python, command, state, "none"))
        ours = counts.get((python, command, state, "sandbox-trust"))
        if not (none and ours):
            lines.append("| `%s`, %s | %.3fx | not measured | | | |" % (command, state, limit))
            continue
        base = floor(counts, python, command, state)
        ratio = ours / none
        lines.append(
            "| `%s`, %s | %.3fx | %.4fx | %s | %s | %s |"
            % (
                command,
                state,
                limit,
                ratio,
                _x(ours, base),
                least_reachable(groups, python, command, state),
                "yes" if ratio <= limit else "**no**",
            )
        )
    latency = results.get("latency", {}).get("sandbox-trust, atomic write")
    if latency:
        lines.append(
            "| late CA pickup p95 | 25 ms | %.1f ms | | | %s |"
            % (latency["p95"], "yes" if latency["p95"] <= 25 else "**no**")
        )
    lines += lazy.target_rows(results)
    if python and _minor(python) >= GUARDED_FROM:
        # These limits were set for 3.11 (OpenSSL 3.0); newer versions report the ratios and are held
        # to the guards below.
        lines = [re.sub(r"\| (yes|\*\*no\*\*) \|$", "| (3.11's limit) |", line) for line in lines]
    return lines


def _minor(python):
    return tuple(map(int, python.split(".")[:2]))


def guards_section(results):
    """Each version against its own floors (the .pth line's, and on 3.15+ the .start's), on `python -c
    pass` and, CA present, past the thresholds (THRESHOLD_COMMAND)."""
    counts, groups = _index(results["startup"])
    pythons = [python for python in _pythons(results["startup"]) if _minor(python) >= GUARDED_FROM]
    if not pythons:
        return []
    lines = [
        "",
        "Guards for 3.14 and later (3.10 to 3.13 are held to the targets above), each version against "
        "floors measured in the same run: nothing to do <= floor + %.3f, CA present <= floor + %.3f, "
        "in ratios to the same command without the package. The .pth floors are the least any .pth "
        "reaches (above); from 3.15 on, where `site` runs `sandbox_trust.start` and skips the .pth "
        "import line, the floor is an empty `.start` (a no-op entry point in an empty module: what "
        "`site` charges any package with a `.start`, `pkgutil` included). With the CA present the "
        "guard is checked on `pass` and again on `%s`, the least a program does after start: on "
        "3.15 the `.start` floor ends `pass` just short of CPython's own thresholds (a young-generation "
        "collection first) that any start with work trips and that the floor's own program "
        "trips at its first allocations; after `%s` floor and package have crossed the same ones "
        '(docs/design.md, "What a `.start` costs on 3.15").'
        % (GUARDS["nothing to do"], GUARDS["CA present"], THRESHOLD_COMMAND, THRESHOLD_COMMAND),
        "",
        "| Python | command | state | spelling | floor | floor ratio | guard | sandbox-trust | met |",
        "|---|---|---|---|---|--:|--:|--:|---|",
    ]
    for python in pythons:
        for command, state in GUARDED:
            none = counts.get((python, command, state, "none"))
            pth_floor = (".pth: " + FLOOR_VARIANTS[state], "variant:" + FLOOR_VARIANTS[state])
            # (spelling, the install measured, its floor): from 3.15 the .start as shipped against the
            # .start floor, and the .pth alone (the .start deleted) against the .pth floor.
            if _minor(python) >= START_FILE_PYTHON:
                spellings = [
                    (".start (as shipped)", "sandbox-trust", ("empty .start", "empty .start")),
                    (".pth alone (.start deleted)", WITHOUT_START, pth_floor),
                ]
            else:
                spellings = [(".pth", "sandbox-trust", pth_floor)]
            for spelling, install, (name, key) in spellings:
                ours = counts.get((python, command, state, install))
                group = _group_with(groups, python, (command, "nothing to do", key)) or {}
                base = group.get((command, "nothing to do", "none"))
                n = group.get((command, "nothing to do", key))
                if not (none and ours and base and n):
                    continue
                guard = n / base + GUARDS[state]
                lines.append(
                    "| %s | `%s` | %s | %s | %s | %.4fx | %.4fx | %.4fx | %s |"
                    % (
                        python,
                        command,
                        state,
                        spelling,
                        name,
                        n / base,
                        guard,
                        ours / none,
                        "yes" if ours / none <= guard else "**no**",
                    )
                )
    return lines


def connections_section(results):
    data = results["connections"]
    configs = data["configs"]
    base = configs[data["baseline"]]
    clients = list(base)
    lines = [
        "",
        "Per client and process: one untimed first connection, then up to %d new connections within "
        "%.1f s (at least 3); each figure is the median over %d interleaved rounds of the mean per "
        "connection. "
        "urllib builds a new default context per connection; requests (Session) and urllib3 load their "
        "bundle file per connection; httpx (Client) and the raw `SSLContext` loop reuse one context. "
        "The alternatives trust the CA through the system store (%s)."
        % (data["count"], data["budget"], data["rounds"], data["system_store"]),
    ]
    same_work = [
        name for name in configs if name == data["baseline"] or name.startswith(("sandbox-trust", "certifi"))
    ]
    if "sslcontext" in clients and len(same_work) > 1:
        cpu = [configs[name]["sslcontext"]["each_cpu"] for name in same_work]
        lines += [
            "",
            "Noise floor of this run: the reused-context handshake loop does the same work in %s; their "
            "CPU times per connection differ by up to %.0f%%."
            % (", ".join(same_work), 100.0 * (max(cpu) / min(cpu) - 1)),
        ]
    for title, key in CONNECTION_TABLES:
        lines += connections_table(data, title, key)
    counted = results.get("instructions")
    if counted:
        low, high = counted["counted"]
        names = list(counted["configs"])
        base = counted["configs"][names[0]]
        lines += [
            "",
            "Instructions per new connection of the loops that reuse one context (callgrind, the client "
            "process only: a run of %d connections after the first minus a run of %d, divided by %d):"
            % (high, low, high - low),
            "",
            "| configuration | %s |" % " | ".join(base),
            "|---|" + "--:|" * len(base),
        ]
        for name in names:
            row = counted["configs"][name]
            cells = ["%s (%.3fx)" % (format(round(row[c]), ","), row[c] / base[c]) for c in base]
            lines.append("| %s | %s |" % (name, " | ".join(cells)))
    return lines


def connections_table(data, title, key):
    """One figure (`each`, `each_cpu` or `first`) per configuration and client, and its ratio."""
    configs = data["configs"]
    base = configs[data["baseline"]]
    clients = list(base)
    lines = [
        "",
        title + ":",
        "",
        "| configuration | %s |" % " | ".join(clients),
        "|---|" + "--:|" * len(clients),
    ]
    for name, row in configs.items():
        cells = ["%.2f ms (%.2fx)" % (row[c][key] * 1000, row[c][key] / base[c][key]) for c in clients]
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    return lines


def latency_section(results):
    lines = ["", "| writer / reader | runs | trusted | p50 | p95 | max |", "|---|--:|--:|--:|--:|--:|"]
    for name, r in results["latency"].items():
        lines.append(
            "| %s | %d | %d | %.1f ms | %.1f ms | %.1f ms |"
            % (name, r["runs"], r["trusted"], r["p50"], r["p95"], r["max"])
        )
    messages = sorted({m for r in results["latency"].values() for m in r["stderr"]})
    if messages:
        lines += ["", "stderr seen: " + "; ".join("`%s`" % m for m in messages)]
    return lines


def stampede_section(results):
    s = results["stampede"]
    cache = s["cache"] or {}
    lines = [
        "",
        "| starts at once | cold cache (wall) | warm cache (wall) | cold / warm | failed | cache after |",
        "|--:|--:|--:|--:|--:|---|",
        "| %d | %.2f s | %.2f s | %.2fx | %d of %d | %s |"
        % (
            s["n"],
            s["cold"],
            s["warm"],
            s["cold"] / s["warm"],
            s["failed"],
            2 * s["n"] * s["rounds"],
            ", ".join("%s: %s" % kv for kv in cache.items()),
        ),
    ]
    if s["problems"]:
        lines += ["", "Failures: " + "; ".join("`%s`" % p for p in s["problems"])]
    return lines


def markdown(results, image="benchmarks.png", debian=None):
    """The report; ``debian`` maps 3.14/3.15 to the text of that version's own report, which the
    main report carries as its section 6 (None: a Debian report itself, which has no section 6)."""
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Regenerate: `%s` (about 10 minutes on 2 busy cores; `--quick` about 4; each `--python 3.13` adds "
        "about 6 for its start-up counts; `nox -s benchmarks` runs the same with the `benchmark` extra). It "
        "builds the wheel from the checkout, makes its venvs under /tmp/sandbox-trust-bench, prints these "
        "tables and rewrites this file and `benchmarks.png`. Needs valgrind for section 1." % COMMAND_LINE,
        "",
        "This file: `%s`, %s." % (results.get("argv", COMMAND_LINE), results["started"]),
        "",
        "Machine: %s, %d cores (load average %.1f at start, shared with other work); took %.0f s."
        % (m["platform"], m["cores"], m["load"], results["duration"]),
        "",
        "Versions: "
        + "; ".join("Python %s (%s)" % (py, v.replace("\n", ", ")) for py, v in results["versions"].items()),
        "",
        "![benchmarks](%s)" % image,
        "",
        "## Targets",
        "",
    ]
    if results["startup"]:
        lines += targets_section(results)
        lines += [
            "",
            "*Least any .pth reaches*: the cheapest `.pth` that could do the job, measured in the same run "
            "(section 1, spellings of the gate). With nothing to do, one executed line (`import os`) and no "
            "check at all; with the CA present, that line plus importing one empty module, and no work. "
            "`site` processes a venv's `.pth` files twice (CPython 3.10 to 3.13), so each line is compiled "
            "and run twice per start. A start-up target below that column is out of reach for any `.pth` "
            "package; `docs/design.md` has the breakdown.",
        ]
        lines += guards_section(results)
    lines += [
        "",
        "## 1. Interpreter start (callgrind instruction counts)",
        "",
        "`valgrind --tool=callgrind` counts instructions of `python -c CODE`, PYTHONHASHSEED=0, a scrubbed "
        "environment, after one untimed run in the same state. States: *nothing to do* (no CA file, "
        "interception not declared), *CA present* (`SANDBOX_CA_CERT` names a CA file; warm bundle cache), "
        "*opted out* (CA present and `SANDBOX_TRUST_DISABLE=1`). The package is switched on and off in "
        "the same venv by moving the files of its RECORD.",
    ]
    if results["startup"]:
        lines += startup_section(results)
    else:
        lines += ["", "Skipped: %s." % results.get("startup_skipped", "not requested")]
    if "connections" in results:
        lines += ["", "## 2. New connections (Python %s)" % results["python"]] + connections_section(results)
    if "latency" in results:
        lines += [
            "",
            "## 3. Late CA pickup",
            "",
            "Interception declared, CA absent: a child creates a client context (which waits), the parent "
            "writes the CA 50-300 ms after the child is ready; lag = end of the child's wait - moment "
            "the file was complete.",
        ] + latency_section(results)
    if "stampede" in results:
        lines += [
            "",
            "## 4. Cold-cache stampede",
            "",
            "%d interpreters started at once, CA present, a fresh private `SANDBOX_TRUST_CACHE_DIR` (0700), "
            "each making one trusted urllib request and checking that its exported SSL_CERT_FILE is a merged "
            "bundle in that cache holding the CA; then the same with the cache warm. Median of %d rounds."
            % (results["stampede"]["n"], results["stampede"]["rounds"]),
        ] + stampede_section(results)
    if results.get("lazy"):
        lines += ["", lazy.markdown(results["lazy"]).rstrip("\n")]
    if debian is not None:
        lines += ["", "## 6. Debian's CPython 3.14 and 3.15 (OpenSSL 3.6)", "", DEBIAN_RUNS]
        for version, text in sorted(debian.items()):
            lines += ["", "### CPython %s, Debian sid" % version, ""]
            lines += [embedded(text)] if text else ["Not measured yet: run the command above."]
    return "\n".join(lines) + "\n"


def embedded(text):
    """A Debian report inside the main one: its title and how to regenerate it (said above) dropped,
    its headings two levels down."""
    paragraphs = text.strip("\n").split("\n\n")
    kept = [p for p in paragraphs if not p.startswith(("# ", "Regenerate: "))]
    return "\n".join("##" + line if line.startswith("#") else line for line in "\n\n".join(kept).split("\n"))


# Debian's interpreters exist here only in the debootstrapped sid root: one report per version, made
# by this same script run there (in_debian.py copies what it writes under docs/ back to the checkout).
DEBIAN_RUNS = (
    "Only a debootstrapped sid root has them here, so each has its own report, written by this script "
    "run in that root ([3.14](benchmarks-3.14.md), [3.15](benchmarks-3.15.md)) and copied below when "
    "this file is written: the start-up counts against that interpreter's own floors (same run) and "
    "guards, new connections and lazy roots: "
    "`python3 tests/in_debian.py 3.X --run benchmarks/run.py --quick --python /usr/bin/python3.X --skip "
    "latency --skip stampede --work /tmp/sandbox-trust-tests/bench --output docs/benchmarks-3.X.md` "
    "(root; `tests/in_debian.py` copies the report back into this checkout's docs/)."
)


# The chart: one figures dict (from results.json, or parsed back from benchmarks.md when only the
# committed report is left), one function per panel.


def figures(results):
    """What the chart draws, from one run's results."""
    counts, groups = _index(results.get("startup", []))
    out = {"pythons": _pythons(results.get("startup", [])), "startup": {}, "alternatives": {}}
    for python in out["pythons"]:
        variants = _variant_group(groups, python) or {}
        pass_none = variants.get(("pass", "nothing to do", "none"))
        out["startup"][python] = {}
        for command, state, _ in TARGETS:
            none = counts.get((python, command, state, "none"))
            ours = counts.get((python, command, state, "sandbox-trust"))
            least = variants.get(("pass", "nothing to do", "variant:" + FLOOR_VARIANTS[state]))
            if none and ours:
                # What site charges for a .pth is the same whatever the command runs after it.
                added = least - pass_none if least and pass_none else None
                out["startup"][python][(command, state)] = (ours / none, 1 + added / none if added else None)
        alternatives = {
            "sandbox-trust, " + state: counts[(python, "pass", state, "sandbox-trust")]
            / counts[(python, "pass", state, "none")]
            for state in ("nothing to do", "CA present")
            if (python, "pass", state, "sandbox-trust") in counts
        }
        for name, (_, ratio) in _alternative_ratios(groups).get(python, {}).items():
            alternatives[name] = ratio
        out["alternatives"][python] = alternatives
    if results.get("connections"):
        data = results["connections"]
        base = data["configs"][data["baseline"]]
        out["connections"] = {
            "clients": list(base),
            "series": {
                name: [row[c]["each"] / base[c]["each"] for c in base]
                for name, row in data["configs"].items()
                if name != data["baseline"]
            },
        }
    if results.get("latency"):
        out["latency"] = {name: (r["p50"], r["p95"]) for name, r in results["latency"].items()}
    out["lazy"] = lazy.figures(results)
    return out


def _markdown_tables(text):
    """``[(heading, caption, rows)]``: each table of a report, under its heading and the line before it."""
    tables, heading, caption, rows = [], "", "", None
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if rows is None:
                rows = []  # the header row
            elif not set(cells[0]) <= set("-:"):
                rows.append(cells)
            continue
        if rows is not None:
            tables.append((heading, caption, rows))
            rows = None
        if line.startswith("#"):
            heading, caption = line.lstrip("# "), ""
        elif line.strip():
            caption = line
    return tables


def _number(cell):
    return float(cell.replace(",", "").replace("+", "").rstrip("x").split()[0])


def figures_from_markdown(text):
    """The same figures, parsed back from a benchmarks.md this module wrote (ratios to 4 digits)."""
    out = {"pythons": [], "startup": {}, "alternatives": {}}
    nones, least_added = {}, {}
    cpu, lazy_rows = None, None
    for heading, caption, rows in _markdown_tables(text):
        python = heading.split()[1].rstrip(":") if heading.startswith("Python ") else None
        if heading.endswith(": sandbox-trust"):
            out["pythons"].append(python)
            for row in rows:
                command, state = row[0].strip("`"), row[1]
                nones[(python, command, state)] = _number(row[2])
                out["startup"].setdefault(python, {})[(command, state)] = (_number(row[6]), None)
        elif ": alternatives" in heading or ": peers" in heading:  # "peers": reports before the rename
            out["alternatives"][python] = {
                row[0].replace(" (", ", ").rstrip(")")
                if row[0].startswith("sandbox-trust")
                else row[0]: _number(row[2])
                for row in rows
            }
        elif ": spellings" in heading:
            for row in rows:
                if row[2] != "n/a":
                    least_added[(python, row[0])] = _number(row[2])
        elif heading.startswith("2. New connections") and caption.startswith("Wall time"):
            clients = ["urllib", "requests", "httpx", "sslcontext"][: len(rows[0]) - 1]
            out["connections"] = {
                "clients": clients,
                "series": {
                    row[0]: [float(c.split("(")[1].rstrip("x)")) for c in row[1:]] for row in rows[1:]
                },
            }
        elif heading.startswith("2. New connections") and caption.startswith("Client CPU time"):
            cpu = rows
        elif heading.startswith("5. Lazy roots"):
            lazy_rows = {row[0]: row for row in rows}
        elif heading.startswith("3. Late CA pickup"):
            out["latency"] = {row[0]: (_number(row[3]), _number(row[4])) for row in rows}
    if cpu:
        out["lazy"] = _lazy_from_markdown(cpu, lazy_rows)
    for python, empty in re.findall(
        r"### Python ([\d.]+): spellings(?:(?!\n#).)*?Floor: an empty .pth adds (-?[\d,]+)", text, re.S
    ):
        for command, state, _ in TARGETS:
            key = (python, FLOOR_VARIANTS[state])
            if (command, state) in out["startup"].get(python, {}) and key in least_added:
                ours, _ = out["startup"][python][(command, state)]
                added = least_added[key] + _number(empty)
                out["startup"][python][(command, state)] = (ours, 1 + added / nones[(python, command, state)])
    return out


def _lazy_from_markdown(cpu, lazy_rows):
    """``lazy.figures`` from the report's CPU table (section 2) and its lazy-roots table (section 5)."""
    ratio = lambda cell: float(cell.split("(")[1].rstrip("x)"))  # noqa: E731 - "2.28 ms (0.09x)"
    configs = [row[0] for row in cpu]  # the baseline first, as the report writes them
    series = {row[0]: [ratio(c) for c in row[1:]] for row in cpu[1:] if row[0] != lazy.NO_EXPORT}
    clients = ["urllib", "requests", "httpx", "sslcontext"][: len(cpu[0]) - 1]
    if lazy_rows:
        clients = clients + ["import aiohttp", "pip download"]
        states = {lazy.SANDBOX_TRUST: "sandbox-trust", lazy.EAGER: lazy.EAGER}
        for name, values in series.items():
            row = lazy_rows.get(states.get(name))
            values += [_number(row[2]), _number(row[4])] if row else [float("nan"), float("nan")]
    others = configs[1:]
    return {"clients": clients, "series": series, "colors": {name: others.index(name) for name in series}}


def _label_bars(ax, bars, texts, size=7):
    for bar, text in zip(bars, texts):
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=size,
            rotation=90 if size < 7 else 0,
        )


def _legend_below(ax, columns=2):
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=columns, frameon=False)


def startup_panel(ax, figs):
    """Added start-up cost per target, each Python's sandbox-trust beside the least any .pth pays."""
    pythons = [p for p in figs["pythons"] if figs["startup"].get(p)]
    targets = [t for t in TARGETS if all((t[0], t[1]) in figs["startup"][p] for p in pythons)]
    width = 0.8 / (2 * len(pythons))
    for i, python in enumerate(pythons):
        for j, kind in enumerate(("sandbox-trust", "least any .pth")):
            values = [figs["startup"][python][(c, s)][j] for c, s, _ in targets]
            x = [k + (2 * i + j - len(pythons) + 0.5) * width for k in range(len(targets))]
            shown = [(xi, 100 * (v - 1)) for xi, v in zip(x, values) if v]
            if not shown:
                continue
            bars = ax.bar(
                [xi for xi, _ in shown],
                [v for _, v in shown],
                width,
                color="C%d" % i,
                alpha=1.0 if j == 0 else 0.45,
                hatch=None if j == 0 else "//",
                label="%s, Python %s" % (kind, python),
            )
            _label_bars(ax, bars, ["%.2f" % v for _, v in shown])
    # Each target line spans only the bars of the version it is set for.
    with_target = [i for i, python in enumerate(pythons) if python.startswith(TARGET_PYTHON + ".")]
    for k, (_, _, limit) in enumerate(targets):
        for i in with_target:
            left = k + (2 * i - len(pythons)) * width
            ax.plot([left, left + 2 * width], [100 * (limit - 1)] * 2, color="red", linewidth=2)
    if with_target:
        ax.plot([], [], color="red", linewidth=2, label="target, Python %s only" % TARGET_PYTHON)
    ax.set_xticks(range(len(targets)))
    ax.set_xticklabels(
        ["%s\n%s\n%s target %.1f%%" % (c, s, TARGET_PYTHON, 100 * (t - 1)) for c, s, t in targets], fontsize=8
    )
    ax.set_ylabel("% instructions added to the start (callgrind)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
    title = "start-up cost: sandbox-trust, the least any .pth pays, %s's targets" % TARGET_PYTHON
    ax.set_title(title, fontsize=10)
    _legend_below(ax, columns=len(pythons) * 2 + 1 if len(pythons) < 2 else 3)


def alternatives_panel(ax, figs):
    """`python -c pass` with sandbox-trust or an alternative, per Python, log scale."""
    pythons = [p for p in figs["pythons"] if figs["alternatives"].get(p)]
    names = list(figs["alternatives"][pythons[0]])
    width = 0.8 / len(pythons)
    for i, python in enumerate(pythons):
        values = [figs["alternatives"][python].get(name, 0) for name in names]
        x = [k + (i - (len(pythons) - 1) / 2) * width for k in range(len(names))]
        bars = ax.bar(x, values, width, color="C%d" % i, label="Python %s" % python)
        _label_bars(ax, bars, ["%.2fx" % v if v < 2 else "%.1fx" % v for v in values])
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylim(top=ax.get_ylim()[1] * 2)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([n.replace(", ", ",\n").replace(".inject", "\n.inject") for n in names], fontsize=7)
    ax.set_ylabel("instructions vs no package (log)")
    ax.set_title("start-up (`python -c pass`): sandbox-trust and alternatives", fontsize=10)
    _legend_below(ax)


def connections_panel(ax, figs):
    """New-connection wall time per client, each configuration over the baseline, log scale."""
    data = figs["connections"]
    series, clients = data["series"], data["clients"]
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        x = [k + (i - (len(series) - 1) / 2) * width for k in range(len(clients))]
        bars = ax.bar(x, values, width, label=name)
        _label_bars(ax, bars, ["%.2f" % v for v in values], size=6)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylim(top=ax.get_ylim()[1] * 2.5)
    ax.set_xticks(range(len(clients)))
    ax.set_xticklabels(clients, fontsize=8)
    ax.set_ylabel("wall time vs baseline (log)")
    ax.set_title("new connection vs baseline (no package, CA variables)", fontsize=10)
    _legend_below(ax)


def latency_panel(ax, figs):
    """Late CA pickup lag, p50 and p95, against the 25 ms target."""
    names = list(figs["latency"])
    x = range(len(names))
    for i, label in enumerate(("p50", "p95")):
        values = [figs["latency"][n][i] for n in names]
        bars = ax.bar([k + (i - 0.5) * 0.4 for k in x], values, 0.4, label=label)
        _label_bars(ax, bars, ["%.1f" % v for v in values])
    ax.axhline(25, color="red", linestyle="--", linewidth=1, label="target p95 25 ms")
    ax.set_xticks(list(x))
    ax.set_xticklabels([n.replace(", ", ",\n").replace(": ", ":\n") for n in names], fontsize=7)
    ax.set_ylabel("ms after the CA landed")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.1)
    ax.set_title("late CA pickup", fontsize=10)
    _legend_below(ax, columns=3)


def lazy_panel(ax, figs):
    lazy.panel(ax, figs, _label_bars, _legend_below)


PANELS = (
    ("startup", startup_panel),
    ("alternatives", alternatives_panel),
    ("connections", connections_panel),
    ("latency", latency_panel),
    ("lazy", lazy_panel),
)


def chart(results, path):
    draw(figures(results), path)


def draw(figs, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [panel for key, panel in PANELS if figs.get(key)]
    if not panels:
        return
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + 1) // 2
    fig = plt.figure(figsize=(7.5 * columns, 5.4 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, columns)
    for number, panel in enumerate(panels):
        row, column = divmod(number, columns)
        # An odd last panel takes the whole row rather than leaving an empty one beside it.
        last_alone = number == len(panels) - 1 and column == 0
        panel(fig.add_subplot(grid[row, :] if last_alone else grid[row, column]), figs)
    fig.savefig(path, dpi=100)


def main():
    """``python3 benchmarks/report.py [docs/benchmarks.md]``: redraw the chart from the tables."""
    markdown_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "benchmarks.md")
    with open(markdown_path) as f:
        figs = figures_from_markdown(f.read())
    draw(figs, os.path.splitext(markdown_path)[0] + ".png")


if __name__ == "__main__":
    main()
