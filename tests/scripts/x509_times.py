"""``python x509_times.py``: the DER reader's validity times against ``datetime``, in one JSON line.

``_x509`` turns a UTCTime/GeneralizedTime into ISO 8601 text without importing ``datetime`` (the
first client context reads the CA's dates). For every time here it must accept exactly what
``datetime`` accepts, give the same text, and order like ``datetime`` does.
"""

import datetime
import itertools
import json

from sandbox_trust import _x509
from sandbox_trust._der import DERError

# GeneralizedTime digits: edges of every field, leap years (2000, 2024 yes; 1900, 2100 no), year 0.
TIMES = [
    "%04d%02d%02d%02d%02d%02d" % fields
    for fields in itertools.product(
        (0, 1, 1900, 1999, 2000, 2024, 2026, 2100, 9999),
        (0, 1, 2, 4, 12, 13),
        (0, 1, 28, 29, 30, 31, 32),
        (0, 23, 24),
        (0, 59, 60),
        (0, 59, 60),
    )
]


def by_datetime(digits):
    try:
        moment = datetime.datetime(int(digits[:4]), *(int(digits[i : i + 2]) for i in range(4, 14, 2)))
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment.year >= 1000 else moment.isoformat() + "Z"


def by_reader(digits, tag=0x18):
    try:
        return _x509._time(tag, (digits + "Z").encode())
    except DERError:
        return None


def main():
    mismatches = [(d, by_reader(d), by_datetime(d)) for d in TIMES if by_reader(d) != by_datetime(d)]
    # UTCTime: two-digit years, 50 and later in the 1900s (RFC 5280 4.1.2.5.1).
    utc = {d: by_reader(d, 0x17) for d in ("491231235959", "500101000000", "991231235959")}
    accepted = sorted(text for text in map(by_reader, TIMES) if text)
    ordered = accepted == sorted(
        accepted, key=lambda text: datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    )
    now = _x509.utc_now()
    close = abs(datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ") - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None))
    print(
        json.dumps(
            {
                "checked": len(TIMES),
                "accepted": len(accepted),
                "mismatches": mismatches[:5],
                "utc": utc,
                "ordered": ordered,
                "now_close": close.total_seconds() < 5,
            }
        )
    )


if __name__ == "__main__":
    main()
