"""What the benchmark scripts share: the environment their measured commands run in, and the machine record
each report starts with. Standard library only."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Settings that would distort the measured commands. PYTHONDONTWRITEBYTECODE in particular: without it the
# warm-up run caches archstat's bytecode in __pycache__/ (gitignored), as in any normal install; with it every run
# would recompile archstat's modules from source.
DROPPED_ENV = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONPROFILEIMPORTTIME", "PYTHONTRACEMALLOC",
               "PYTHONDEVMODE", "PYTHONWARNINGS", "PYTHONVERBOSE")


def env() -> dict:
    """This process's environment without DROPPED_ENV."""
    e = dict(os.environ)
    for k in DROPPED_ENV:
        e.pop(k, None)
    return e


def first_line(text: str | None) -> str:
    """The last non-empty line of a command's stderr: the one that says what went wrong."""
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "(no message)"


def version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(packages: tuple[str, ...], mark_dirty: bool = True) -> dict:
    """Date, platform, CPU, load average, Python, commit (marked when the tree has uncommitted changes) and the
    versions of ``packages``."""
    cpu_model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    try:
        load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        load = "n/a"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip() or "(no commit yet)"
        if mark_dirty and subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                         capture_output=True, text=True).stdout.strip():
            commit += " (with uncommitted changes)"
    except OSError:
        commit = "(git not available)"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "platform": platform.platform(), "machine": platform.machine(), "cpu": cpu_model or "unknown",
        "cpu_count": os.cpu_count(), "cpu_usable": usable, "load": load,
        "python": f"{platform.python_implementation()} {platform.python_version()}", "executable": sys.executable,
        "commit": commit, "dropped_env": [k for k in DROPPED_ENV if k in os.environ],
        "versions": {d: version(d) for d in packages},
    }


def write_atomic(path: Path, text: str) -> None:
    """Write a report so that a reader sees the old one or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def mark(ok) -> str:
    return "PASS" if ok else ("FAIL" if ok is False else "NOT MEASURED")


def targets_table(checks: list[dict]) -> list[str]:
    """The report's targets table: a row per check (``what``, ``target``, ``measured``, ``ok``)."""
    return ["| Check | Target | Measured | Result |", "|---|---|---|---|"] + [
        f"| {c['what']} | {c['target']} | {c['measured']} | {mark(c['ok'])} |" for c in checks]
