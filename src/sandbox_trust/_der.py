"""The few DER primitives both certificate readers need: elements, their children, their framing.

Standard library only and nothing else of sandbox_trust: ``_x509`` (what ``status`` shows) and
``_subject_hash`` (names of a hashed directory) both build on it.
"""


class DERError(ValueError):
    """The bytes are not a well-formed certificate; ``str()`` says where."""


def element(data, position, end):
    """``(tag, content_start, content_end)`` of the element at ``position``; definite lengths only."""
    if position + 2 > end:
        raise DERError("truncated element at offset %d" % position)
    tag = data[position]
    if tag & 0x1F == 0x1F:
        raise DERError("multi-byte tag at offset %d" % position)  # X.509 never uses them
    first = data[position + 1]
    start = position + 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > end:
            raise DERError("bad length at offset %d" % position)
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    else:
        length = first
    if start + length > end:
        raise DERError("element at offset %d runs past its container" % position)
    return tag, start, start + length


def children(data, start, end):
    """The elements inside a constructed element's content: ``[(tag, start, end), ...]``."""
    items = []
    position = start
    while position < end:
        item = element(data, position, end)
        items.append(item)
        position = item[2]
    return items


def encode(tag, content):
    """One DER element: ``tag``, definite length, ``content``."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + content
