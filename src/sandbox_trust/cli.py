"""Command line: placeholder, filled in below."""


def main(argv=None):
    return 0
