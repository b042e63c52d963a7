import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def write_spec(tmp_path):
    """Write a spec text to a temporary file and return its path as a string."""
    def _write(text: str, name: str = "spec.yaml") -> str:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return str(p)
    return _write
