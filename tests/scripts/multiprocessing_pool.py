"""Pool workers trust what their parent trusts: ``python multiprocessing_pool.py spawn|forkserver URL``.

Run by path, not ``-c``: spawn re-imports the main module by path. Prints one JSON list, one
``{probe: outcome}`` per worker task.
"""

import json
import multiprocessing
import sys

import checks


def work(url):
    return {name: checks.probe_outcome(name, url) for name in ("urllib_request", "requests", "httpx")}


def main():
    method, url = sys.argv[1], sys.argv[2]
    with multiprocessing.get_context(method).Pool(2) as pool:
        print(json.dumps({"workers": pool.map(work, [url, url])}))


if __name__ == "__main__":
    main()
