"""``_posixsubprocess.fork_exec`` waits for a declared CA before a child starts (``_children``).

A target of the import hook only in processes where ``_children.install()`` added it: interception
declared, the CA not landed at start. ``subprocess`` (hence asyncio and ``os.popen``) and
multiprocessing's spawn and forkserver starts end in this function.
"""

from sandbox_trust import _children


class _Hook:
    """The shape of ``Patch`` (``PATCH.apply()``), for the wrapper ``_children`` owns."""

    apply = staticmethod(_children.wrap_fork_exec)
    revert = staticmethod(_children.uninstall)
    is_applied = staticmethod(_children.is_installed)


PATCH = _Hook()
