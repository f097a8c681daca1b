"""What CPython charges any .pth package at start, per interpreter version (the table in docs/design.md).

    python3 benchmarks/pth_floor.py [--python 3.10 --python 3.11 ...]
    python3 tests/in_debian.py 3.14 --run benchmarks/pth_floor.py --python /usr/bin/python3.14 \
        --python /usr/bin/python3.15          (Debian sid's own 3.14 and 3.15, chrooted; root)

For each version: a bare venv (``python -m venv --without-pip``), then callgrind instruction counts of
``python -c pass`` with no .pth, an empty .pth, a .pth whose one line is ``import os``, the former
sandbox-trust line with its checks inline, and today's line with the gate module it imports
(nothing to do: the boot module is not installed and never imported);
also how many times ``site`` runs a .pth line in that venv. About a minute per version.
"""

import argparse
import os
import shutil
import subprocess
import tempfile

from lab import GATE_SOURCE, PTH_LINE, log, resolve_python, scrubbed_env
from startup import INLINE_LINE, count

CASES = (
    ("no .pth", None),
    ("an empty .pth", ""),
    ("one executed line, `import os`", "import os\n"),
    ("the former line, its checks inline, instead", INLINE_LINE + "\n"),
    ("sandbox-trust's gate instead", PTH_LINE + "\n"),
)
GATE_CASE = CASES[-1][0]  # its line imports the gate module, installed for it alone
COUNT_RUNS = "import sys;sys.stderr.write('ran\\n')\n"


def measure(version, work):
    venv = os.path.join(work, "venv-" + version)
    subprocess.run([resolve_python(version), "-m", "venv", "--without-pip", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    (site,) = [os.path.join(venv, "lib", d, "site-packages") for d in os.listdir(os.path.join(venv, "lib"))]
    pth = os.path.join(site, "zz.pth")
    gate = os.path.join(site, "_sandbox_trust_gate.py")
    counts = {}
    for name, text in CASES:
        if text is not None:
            with open(pth, "w") as f:
                f.write(text)
        if name == GATE_CASE:
            with open(gate, "w") as f:
                f.write(GATE_SOURCE)
            # Measured runs write no bytecode: compile it once, as an installer does.
            subprocess.run([python, "-m", "py_compile", gate], check=True)
        counts[name] = count(python, work, {}, "pass")
        log("%s %-32s %12d" % (version, name, counts[name]))
    with open(pth, "w") as f:
        f.write(COUNT_RUNS)
    stderr = subprocess.run(
        [python, "-c", "pass"], env=scrubbed_env(work), capture_output=True, text=True
    ).stderr
    return counts, stderr.count("ran")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        action="append",
        help="a pyenv CPython version or an interpreter path (default: 3.10 to 3.13)",
    )
    versions = parser.parse_args().python or ["3.10", "3.11", "3.12", "3.13"]
    work = tempfile.mkdtemp(prefix="sandbox-trust-pth-floor-")
    try:
        results = {version: measure(version, work) for version in versions}
    finally:
        shutil.rmtree(work)
    print("| | " + " | ".join(versions) + " |")
    print("|---|" + "--:|" * len(versions))
    for name, _ in CASES:
        cells = []
        for version in versions:
            counts, _runs = results[version]
            none, n = counts["no .pth"], counts[name]
            if name == "no .pth":
                cells.append("%.2fM" % (n / 1e6))
            else:
                previous = counts["an empty .pth"] if name != "an empty .pth" else none
                cells.append("%+dk (%.2f%%)" % ((n - previous) / 1e3, 100.0 * (n - previous) / none))
        label = "`python -c pass`, " + name if name == "no .pth" else "+ " + name
        print("| %s | %s |" % (label, " | ".join(cells)))
    print("| times `site` runs a .pth line | %s |" % " | ".join(str(results[v][1]) for v in versions))


if __name__ == "__main__":
    main()
