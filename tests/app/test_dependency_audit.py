"""``make audit`` (ASVS 14.2.1): pip-audit checks every pin of requirements.txt against PyPI's advisory database.
It needs the network, so it is not part of ``make test``; here only its command and a dry run are checked."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _recipe(target: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, "BIN=bin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_audit_runs_pip_audit_strictly_on_the_runtime_pins_and_make_test_does_not():
    audit = _recipe("audit")
    assert re.search(r"bin/pip-audit --requirement requirements.txt --strict\b", audit), audit
    assert "pip-audit" not in _recipe("test")


def test_pip_audit_is_pinned_and_reads_every_runtime_pin():
    assert re.search(r"^pip-audit==[\d.]+$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if re.match(r"^[\w.\[\]-]+==", line)]
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--requirement", "requirements.txt", "--no-deps", "--disable-pip"]
        + ["--dry-run", "--progress-spinner", "off"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"would have audited {len(pins)} packages" in result.stderr
