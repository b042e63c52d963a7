"""The one output path (archstat/io/output.py): no command's --output (or plot's --data, or report's files) replaces an
input of its run or anything that is not a regular file, and every failure is one line with exit code 2.

- ``test_every_writing_command_has_a_case`` enumerates the CLI's commands and their file options: a new command
  that writes must bring its case here;
- ``test_nothing_else_writes_files`` reads the package's source: only output.py may open a file for writing,
  rename or replace one, or save a figure to a path;
- the rest try each command against its own inputs under every spelling (relative, ``./sub/../``, absolute, a
  symlink, a hard link, standard input's file), and against devices, FIFOs, directories and bad names.
"""

from __future__ import annotations

import ast
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "archstat: error: "
NET = b"name: net\ninput: [1, 8, 8]\ninclude: [lib.yaml]\nlayers:\n  - unit: {c: 2}\n  - relu\n"
LIB = b"blocks:\n  unit:\n    args: [c]\n    layers:\n      - conv: {out: $c, kernel: 3}\n"
CLAIMS = (b"claims:\n  - spec: net.yaml\n    quantity: params\n    value: \"20\"\n"
          b"    source: \"a test\"\n")
BENCH = (b"spec,impl,device,dtype,channels_last,compile,batch,status,images_per_s\n"
         b"net,archstat,cpu,float32,False,False,1,ok,100.0\nnet,archstat,cpu,float32,False,False,2,ok,180.0\n")


def cli(args, cwd, stdin: bytes | None = None, timeout: float = 120):
    env = dict(os.environ, COLUMNS="160")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "archstat", *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=timeout, env=env)


@pytest.fixture
def work(tmp_path):
    (tmp_path / "net.yaml").write_bytes(NET)
    (tmp_path / "lib.yaml").write_bytes(LIB)
    (tmp_path / "claims.yaml").write_bytes(CLAIMS)
    (tmp_path / "bench.csv").write_bytes(BENCH)
    (tmp_path / "net.html").write_bytes(NET)  # a spec is YAML whatever its name: view's --output must not take it
    (tmp_path / "model.py").write_text(MODEL_PY)  # a factory archstat import runs (and must not overwrite)
    (tmp_path / "sub").mkdir()
    return tmp_path


# For each command that writes a file: (option, argv with {out} where the output goes, the input it is pointed at)
WRITERS = {
    ("summary", "output"): (["summary", "net.yaml", "--output", "{out}"], "net.yaml"),
    ("memory", "output"): (["memory", "net.yaml", "--train", "--output", "{out}"], "net.yaml"),
    ("list", "output"): (["list", "--output", "{out}"], None),
    ("compare", "output"): (["compare", "net.yaml", "--output", "{out}"], "net.yaml"),
    ("verify", "output"): (["verify", "--claims", "claims.yaml", "--output", "{out}"], "claims.yaml"),
    ("check", "output"): (["check", "net.yaml", "--no-fvcore", "--output", "{out}"], "lib.yaml"),
    ("bench", "output"): (["bench", "net.yaml", "--device", "cpu", "--batch", "1", "--warmup", "0", "--iters", "1",
                           "--output", "{out}"], "net.yaml"),
    ("sweep", "output"): (["sweep", "net.yaml", "--sizes", "8,16", "--output", "{out}"], "lib.yaml"),
    ("plot", "output"): (["plot", "bench", "bench.csv", "--output", "{out}"], None),
    ("plot", "data"): (["plot", "bench", "bench.csv", "--output", "b.png", "--data", "{out}"], "bench.csv"),
    ("report", "output"): (None, None),  # a directory of files: test_report_refuses_its_inputs
    ("view", "output"): (["view", "net.html", "--output", "{out}"], "net.html"),
    ("export", "output"): (["export", "net.yaml", "--to", "torch", "--output", "{out}"], "lib.yaml"),
    ("import", "output"): (["import", "model.py:make", "--input", "3x8x8", "--output", "{out}"], "model.py"),
}
MODEL_PY = "import torch\n\n\ndef make():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))\n"
TORCH_COMMANDS = ("check", "bench", "export", "import")
FILE_OPTIONS = {"output", "data"}
RENDERERS = {"verdicts", "checks", "records", "render", "symbolic", "tabular"}  # their to_csv/to_json return text


def _commands():
    import typer.main

    from archstat.cli import app

    group = typer.main.get_command(app)
    return {name: cmd for name, cmd in group.commands.items()}


def test_every_writing_command_has_a_case():
    found = {(name, p.name) for name, cmd in _commands().items() for p in cmd.params if p.name in FILE_OPTIONS}
    assert found == set(WRITERS), "a command writes a file with no case in WRITERS"


def test_nothing_else_writes_files():
    """Only archstat/io/output.py opens files for writing, renames or replaces them, or saves figures to a path."""
    offenders = []
    for path in (ROOT / "archstat").rglob("*.py"):
        if path.relative_to(ROOT).as_posix() == "archstat/io/output.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            receiver = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else None
            if name in ("write_text", "write_bytes", "renames", "mkstemp", "NamedTemporaryFile", "copyfile", "copy2",
                        "move", "to_excel", "to_parquet"):
                offenders.append(f"{where}: {name}()")
            if name in ("replace", "rename") and (receiver in ("os", "shutil") or (
                    receiver != "dataclasses" and len(node.args) == 1)):  # not str.replace(a, b)
                offenders.append(f"{where}: {name}()")
            if name in ("to_csv", "to_json") and receiver not in RENDERERS and (  # pandas' writers take a path
                    node.args or any(k.arg == "path_or_buf" for k in node.keywords)):  # (without one: the text)
                offenders.append(f"{where}: {name}()")
            if name in ("open", "fdopen") and _write_mode(node):
                offenders.append(f"{where}: {name}() for writing")
            if name == "savefig" and node.args and not (isinstance(node.args[0], ast.Name)
                                                        and node.args[0].id == "buf"):
                offenders.append(f"{where}: savefig() to a path")
            if isinstance(f, ast.Attribute) and f.attr == "open" and isinstance(f.value, ast.Name) \
                    and f.value.id == "os":
                flags = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
                if any(w in flags for w in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")):
                    offenders.append(f"{where}: os.open() for writing")
    assert not offenders, "\n".join(offenders)


def _write_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wax+")


def _refused(p, before: dict[Path, bytes]):
    assert p.returncode == 2, (p.returncode, p.stderr.decode())
    err = p.stderr.decode()
    assert err.startswith(PREFIX) and err.count("\n") == 1 and "refusing to overwrite" in err, err
    for f, data in before.items():
        assert f.read_bytes() == data, f"{f} was changed"


@pytest.mark.parametrize("key", [k for k, (argv, target) in WRITERS.items() if target],
                         ids=lambda k: "-".join(k))
def test_each_command_refuses_its_own_inputs(work, key):
    argv, target = WRITERS[key]
    if key[0] in TORCH_COMMANDS:
        pytest.importorskip("torch")
    before = {work / n: (work / n).read_bytes() for n in ("net.yaml", "lib.yaml", "claims.yaml", "bench.csv",
                                                          "net.html", "model.py")}
    spellings = [target, f"./sub/../{target}", str(work / target)]
    link, hard = (f"{n}{Path(target).suffix}" for n in ("link", "hard"))  # view takes only .html/.svg/.png names
    (work / link).symlink_to(work / target)
    os.link(work / target, work / hard)
    spellings += [link, hard]
    for out in spellings[:1] + spellings[3:] if key[0] in TORCH_COMMANDS else spellings:
        p = cli([a.replace("{out}", out) for a in argv], work)
        _refused(p, before)
        assert f"'{target}'" in p.stderr.decode() or f"'./{target}'" in p.stderr.decode()


def test_summary_refuses_the_file_standard_input_came_from(work):
    before = {work / "net.yaml": NET}
    with open(work / "net.yaml", "rb") as fh:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        p = subprocess.run([sys.executable, "-m", "archstat", "summary", "-", "--output", "net.yaml"], cwd=work,
                           stdin=fh, capture_output=True, env=env, timeout=60)
    _refused(p, before)
    assert "'<stdin>'" in p.stderr.decode()


def test_a_built_in_spec_and_its_library_are_inputs(tmp_path, monkeypatch):
    """In-process, against a copy of specs/ (a regression cannot damage the real one): the zoo's own files, named
    by a built-in name, are refused as outputs, and so is each block library they include."""
    from archstat import load
    from archstat.errors import UsageError
    from archstat.io.output import write_output
    from archstat.io.run import scope
    from archstat.language import catalog

    shutil.copytree(ROOT / "specs", tmp_path / "specs", ignore=shutil.ignore_patterns("claims"))
    monkeypatch.setattr(catalog, "specs_dir", lambda: tmp_path / "specs")
    before = (tmp_path / "specs" / "blocks" / "resnet.yaml").read_bytes()
    with scope():
        load("resnet18")
        for target in ("resnet18.yaml", "blocks/resnet.yaml", "blocks/../resnet18.yaml"):
            with pytest.raises(UsageError, match="an input of this run"):
                write_output(str(tmp_path / "specs" / target), "x\n")
        write_output(str(tmp_path / "specs" / "other.csv"), "x\n")  # not an input: written
    assert (tmp_path / "specs" / "blocks" / "resnet.yaml").read_bytes() == before
    assert (tmp_path / "specs" / "other.csv").read_text() == "x\n"


def test_report_refuses_its_inputs(tmp_path):
    """report writes a directory of files, each through write_output: a file there that is a link to a spec the
    report reads is refused, not replaced."""
    out = tmp_path / "reports"
    out.mkdir()
    spec = ROOT / "specs" / "vgg16.yaml"
    before = spec.read_bytes()
    (out / "architectures.csv").symlink_to(spec)
    p = cli(["report", "--no-check", "--output", str(out)], tmp_path, timeout=300)
    assert p.returncode == 2, p.stderr.decode()
    assert "refusing to overwrite" in p.stderr.decode() and "an input of this run" in p.stderr.decode()
    assert spec.read_bytes() == before and (out / "architectures.csv").is_symlink()


# ---- what the target is ---------------------------------------------------------------------------------------
def test_dev_null_and_character_devices_are_written_into_not_replaced(work):
    null = os.stat("/dev/null")
    p = cli(["summary", "net.yaml", "--output", "/dev/null"], work)
    assert (p.returncode, p.stderr) == (0, b"")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == null.st_ino


@pytest.mark.parametrize("target", ["/dev/stdout", "-"])
def test_standard_output_by_name(work, target):
    p = cli(["summary", "net.yaml", "--format", "csv", "--output", target], work)
    assert p.returncode == 0 and p.stdout.startswith(b"name,kind,")


def test_dev_stdout_redirected_to_a_file_appends_as_the_shell_opened_it(work):
    log = work / "log.txt"
    log.write_text("first line\n")
    with open(log, "ab") as fh:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        p = subprocess.run([sys.executable, "-m", "archstat", "summary", "net.yaml", "--format", "csv", "--output",
                            "/dev/stdout"], cwd=work, stdout=fh, stderr=subprocess.PIPE, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    text = log.read_text()
    assert text.startswith("first line\nname,kind,")


def test_a_fifo_is_written_into(work):
    fifo = work / "pipe"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as fh:
            got["data"] = fh.read()

    t = threading.Thread(target=reader)
    t.start()
    p = cli(["summary", "net.yaml", "--format", "csv", "--output", "pipe"], work)
    t.join(30)
    assert p.returncode == 0, p.stderr
    assert got["data"].startswith(b"name,kind,")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_is_followed_and_the_link_kept(work):
    (work / "real.csv").write_text("old\n")
    (work / "link.csv").symlink_to("real.csv")
    p = cli(["summary", "net.yaml", "--output", "link.csv"], work)
    assert p.returncode == 0, p.stderr
    assert (work / "link.csv").is_symlink() and (work / "real.csv").read_text().startswith("name,kind,")


@pytest.mark.parametrize("out, message", [
    ("newdir/", "--output 'newdir/': no such directory (a name ending in '/' is a directory)"),
    ("sub", "--output 'sub': is a directory"),
    ("sub/", "--output 'sub/': is a directory"),
    ("nodir/out.csv", "--output 'nodir/out.csv': directory 'nodir' does not exist"),
    ("x" * 300 + ".csv", "the file name is too long"),
    ("loop.csv", "--output 'loop.csv': a loop of symbolic links"),
    ("dangling.csv", "--output 'dangling.csv': a symbolic link to a missing file; name the file itself"),
    ("net.yaml/out.csv", "a part of the path is not a directory"),
])
def test_bad_targets_are_one_line_exit_2(work, out, message):
    os.symlink("loop.csv", work / "loop.csv")
    os.symlink("nowhere/at/all", work / "dangling.csv")
    p = cli(["summary", "net.yaml", "--format", "csv", "--output", out], work)
    err = p.stderr.decode()
    assert p.returncode == 2 and err.startswith(PREFIX) and err.count("\n") == 1, err
    assert message in err
    assert not list(work.glob("newdir*")) and not list(work.glob(".*.tmp"))
    assert (work / "net.yaml").read_bytes() == NET


def test_a_nul_byte_in_the_output_name(work):
    from archstat.errors import UsageError
    from archstat.io.output import write_output

    with pytest.raises(UsageError, match="NUL byte"):
        write_output(str(work / "a\x00b.csv"), "x")


def test_a_socket_is_refused(work):
    import socket

    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(work / "sock"))
        p = cli(["summary", "net.yaml", "--output", "sock"], work)
        assert p.returncode == 2 and b"is a socket" in p.stderr
    finally:
        s.close()


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from archstat.errors import UsageError
    from archstat.io import output

    target = tmp_path / "out.csv"
    target.write_text("old contents\n")
    real_write = os.write

    def half(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "write", half)
    with pytest.raises(UsageError, match="no space left on the device"):
        output.write_output(str(target), "name,kind\n" * 1000)
    assert target.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_the_new_file_replaces_the_old_by_a_rename(work):
    """A reader holding the old file keeps reading all of it; the path changes inode; no temporary file is left;
    the old file's mode is kept."""
    out = work / "out.csv"
    out.write_text("old contents\n")
    out.chmod(0o640)
    before = out.stat().st_ino
    with open(out) as reader:
        p = cli(["summary", "net.yaml", "--output", "out.csv"], work)
        assert (p.returncode, p.stderr) == (0, b"")
        assert reader.read() == "old contents\n"
    assert out.stat().st_ino != before and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_text().startswith("name,kind,inputs,output_shape")
    assert not list(work.glob(".*.tmp"))


def test_a_failed_analysis_leaves_the_output_untouched(work):
    (work / "out.csv").write_text("old contents\n")
    (work / "bad.yaml").write_text("name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 0, kernel: 3}\n")
    p = cli(["summary", "bad.yaml", "--output", "out.csv"], work)
    assert p.returncode == 1 and p.stderr.count(b"\n") == 1
    assert (work / "out.csv").read_text() == "old contents\n"
