"""docs/benchmarks.md and its chart, from one run's results (also kept as results.json)."""

import collections

from startup import COMMANDS, FLOOR_VARIANTS, PTH_VARIANTS

COMMAND_LINE = "python3 benchmarks/run.py"
PEERS = ("pip-system-certs 5.3", "certifi-linux 1.1", "truststore.inject_into_ssl()")
# The targets: (command, state, limit on the ratio to the same venv without the package).
TARGETS = (
    ("pass", "CA present", 1.02),
    ("pass", "nothing to do", 1.005),
    ("import ssl", "CA present", 1.05),
    ("import requests", "CA present", 1.03),
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


def _peer_ratios(groups):
    """python -> {peer: (instructions, ratio to `none` of the same venv)} (counted on `python -c pass`)."""
    out = collections.defaultdict(dict)
    for (python, _), runs in groups.items():
        none = runs.get(("pass", "nothing to do", "none"))
        for (_command, _, install), n in runs.items():
            if install in PEERS and none:
                out[python][install] = (n, n / none)
    return out


def _variant_group(groups, python):
    for (p, _), runs in groups.items():
        if p == python and any(install.startswith("variant:") for _, _, install in runs):
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


def startup_section(results):
    lines = []
    counts, groups = _index(results["startup"])
    pythons = sorted({r["python"] for r in results["startup"]}, key=lambda v: tuple(map(int, v.split("."))))
    peer_ratios = _peer_ratios(groups)
    for python in pythons:
        lines += [
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
        if python in peer_ratios:
            lines += [
                "",
                "### Python %s: peers, `python -c pass`" % python,
                "",
                "Peers act at every start whatever the environment; each ratio is to `none` of its own venv "
                "copy (the copies' counts of `none`: %s)."
                % ", ".join(
                    sorted(
                        {
                            "{:,}".format(runs[("pass", "nothing to do", "none")])
                            for (py, _), runs in groups.items()
                            if py == python and ("pass", "nothing to do", "none") in runs
                        }
                    )
                ),
                "",
                "| package | instructions | vs none |",
                "|---|--:|--:|",
            ]
            for state in ("nothing to do", "CA present"):
                ours = counts.get((python, "pass", state, "sandbox-trust"))
                none = counts.get((python, "pass", state, "none"))
                if ours and none:
                    lines.append(
                        "| sandbox-trust (%s) | %s | %s |" % (state, "{:,}".format(ours), _x(ours, none))
                    )
            for peer in PEERS:
                if peer in peer_ratios[python]:
                    n, ratio = peer_ratios[python][peer]
                    lines.append("| %s | %s | %.2fx |" % (peer, "{:,}".format(n), ratio))
        variants = _variant_group(groups, python)
        if variants:
            lines += [
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
        "Peers trust the CA through the system store (%s)."
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
    for title, key in (
        ("Wall time per new connection (`time.perf_counter`)", "each"),
        (
            "Client CPU time per new connection (`time.process_time`; less sensitive to the machine's "
            "other load)",
            "each_cpu",
        ),
        ("First connection of a process, wall (loads the roots, and the CA, once)", "first"),
    ):
        lines += [
            "",
            title + ":",
            "",
            "| configuration | %s |" % " | ".join(clients),
            "|---|" + "--:|" * len(clients),
        ]
        for name, row in configs.items():
            lines.append(
                "| %s | %s |"
                % (
                    name,
                    " | ".join(
                        "%.2f ms (%.2fx)" % (row[c][key] * 1000, row[c][key] / base[c][key]) for c in clients
                    ),
                )
            )
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


def markdown(results):
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
        "![benchmarks](benchmarks.png)",
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
    return "\n".join(lines) + "\n"


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (["startup", "peers"] if results.get("startup") else []) + [
        p for p in ("connections", "latency") if results.get(p)
    ]
    if not panels:
        return
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(rows, columns, figsize=(7 * columns, 4.6 * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    counts, groups = _index(results.get("startup", []))
    python = results.get("python")
    for ax, panel in zip(axes.flat, panels):
        if panel == "startup":
            commands = [c for c in COMMANDS if (python, c, "CA present", "none") in counts]
            x = range(len(commands))
            for i, state in enumerate(("nothing to do", "CA present")):
                added = [
                    100.0
                    * (counts[(python, c, state, "sandbox-trust")] / counts[(python, c, state, "none")] - 1)
                    for c in commands
                ]
                ax.bar([j + (i - 0.5) * 0.4 for j in x], added, 0.4, label="sandbox-trust, " + state)
            for command, state, limit in TARGETS:
                if command in commands:
                    j = commands.index(command) + (-0.2 if state == "nothing to do" else 0.2)
                    ax.plot([j - 0.2, j + 0.2], [100 * (limit - 1)] * 2, color="red", linewidth=2)
            ax.plot([], [], color="red", linewidth=2, label="target")
            ax.set_xticks(list(x))
            ax.set_xticklabels(commands, fontsize=8)
            ax.set_ylabel("% instructions added to the start")
            ax.set_title("sandbox-trust start-up cost (Python %s, callgrind)" % python, fontsize=10)
            ax.legend(fontsize=7)
        elif panel == "peers":
            names = ["sandbox-trust, nothing to do", "sandbox-trust, CA present"]
            values = [
                counts[(python, "pass", s, "sandbox-trust")] / counts[(python, "pass", s, "none")]
                for s in ("nothing to do", "CA present")
            ]
            for peer, (_, ratio) in _peer_ratios(groups).get(python, {}).items():
                names.append(peer)
                values.append(ratio)
            ax.bar(range(len(names)), values, color=["C0", "C1", "C2", "C3", "C4"][: len(names)])
            ax.axhline(1.0, color="black", linewidth=0.8)
            ax.set_yscale("log")
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels(
                [n.replace(", ", ",\n").replace(".inject", "\n.inject") for n in names], fontsize=7
            )
            ax.set_ylabel("python -c pass: instructions vs no package (log)")
            ax.set_title("start-up: sandbox-trust and peers", fontsize=10)
        elif panel == "connections":
            data = results["connections"]
            base = data["configs"][data["baseline"]]
            clients = list(base)
            series = {
                name: [row[c]["each"] / base[c]["each"] for c in clients]
                for name, row in data["configs"].items()
                if name != data["baseline"]
            }
            _bars(ax, clients, series, "new connection wall time vs baseline (no package, CA variables)")
        else:
            names = list(results["latency"])
            p50 = [results["latency"][n]["p50"] for n in names]
            p95 = [results["latency"][n]["p95"] for n in names]
            x = range(len(names))
            ax.bar([i - 0.2 for i in x], p50, 0.4, label="p50")
            ax.bar([i + 0.2 for i in x], p95, 0.4, label="p95")
            ax.axhline(25, color="red", linestyle="--", linewidth=1, label="target p95 25 ms")
            ax.set_xticks(list(x))
            ax.set_xticklabels([n.replace(", ", ",\n").replace(": ", ":\n") for n in names], fontsize=7)
            ax.set_ylabel("ms after the CA landed")
            ax.set_title("late CA pickup", fontsize=10)
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _bars(ax, labels, series, title):
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(
            [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))], values, width, label=name
        )
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("ratio (log scale)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
