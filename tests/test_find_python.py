"""The one interpreter lookup (tests/harness.find_python): the newest patch level, compared as numbers."""

import os

from tests.harness import find_python


def fake_pyenv(tmp_path, *names):
    for name in names:
        os.makedirs(tmp_path / "versions" / name / "bin")
    return str(tmp_path)


def test_patch_levels_compare_as_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", fake_pyenv(tmp_path, "3.10.9", "3.10.14", "3.10.2", "3.100.1"))
    assert find_python("3.10") == str(tmp_path / "versions" / "3.10.14" / "bin" / "python")


def test_only_plain_versions_count(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", fake_pyenv(tmp_path, "3.13.0", "3.13.5t", "3.13-dev", "3.13.1rc1"))
    assert find_python("3.13") == str(tmp_path / "versions" / "3.13.0" / "bin" / "python")


def test_an_exact_version_and_a_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", fake_pyenv(tmp_path, "3.12.1", "3.12.10"))
    assert find_python("3.12.1") == str(tmp_path / "versions" / "3.12.1" / "bin" / "python")
    assert find_python("/opt/python/bin/python3") == "/opt/python/bin/python3"
