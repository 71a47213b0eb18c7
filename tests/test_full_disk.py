"""A full disk during ingest, and damaged index files, as a user meets them.

The full disk is a small tmpfs (needs root and `mount`); elsewhere a per-file size limit
(RLIMIT_FSIZE) in a subprocess stands in for it.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import doctor
from assistant.cli import cli
from assistant.errors import IndexError_, NewsdeskError
from assistant.facade import Assistant
from assistant.index import MANIFEST, RECORDS, VECTORS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pytest 9 imports test files by path only
from test_crash_safety import ROOT, cli_env, state_of, write_before, write_run  # noqa: E402
from test_doctor import _corrupt_pages_of  # noqa: E402

MARGINS = (0, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304)


def _mount_tmpfs(mount_point: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """A 12 MB file system of its own, or None where it cannot be mounted."""
    mount_point = tmp_path / "disk"
    if not _mount_tmpfs(mount_point, "12m"):
        yield None
        return
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill_disk_leaving(folder: Path, free_bytes: int) -> Path:
    """Fill the file system of `folder` up, then give back `free_bytes`."""
    filler = folder / "filler.bin"
    filler.unlink(missing_ok=True)
    block = b"\0" * 65_536
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    os.truncate(filler, max(filler.stat().st_size - free_bytes, 0))
    return filler


def ingest_in_process(settings, index: Path, source: Path) -> str | None:
    """The error message a user would see, or None when the ingest went through."""
    assistant = Assistant(settings, index, embedder=_hashing())
    try:
        assistant.ingest([source])
        return None
    except IndexError_ as exc:
        return str(exc)
    finally:
        if assistant._index is not None:
            assistant._index.close()  # no open files left on the small disk


def _hashing():
    from assistant.embed import HashingEmbedder

    return HashingEmbedder()


def test_full_disk_during_ingest_fails_cleanly_and_keeps_the_previous_state(small_disk, tmp_path, settings, capsys):
    if small_disk is None:
        pytest.skip("cannot mount a tmpfs here; test_file_size_limit_* covers the same path")
    source = tmp_path / "coverage"
    write_before(source)
    index = small_disk / "idx"
    assert ingest_in_process(settings, index, source) is None
    before = state_of(index)
    write_run(source)

    failures = []
    for margin in MARGINS:  # less and less full, until the ingest fits
        filler = fill_disk_leaving(small_disk, margin)
        message = ingest_in_process(settings, index, source)
        if message is None:
            filler.unlink()
            break
        failures.append(margin)
        # Nearly no room: SQLite cannot even open the index (it needs its shared-memory file).
        assert ("the disk is full; nothing from this run was saved" in message
                or "the disk holding it is full" in message and "The index itself is intact" in message), message
        filler.unlink()  # reading needs that bit of room too
        assert [f for f in doctor.diagnose(index) if f.severity == "error"] == []
        assert state_of(index) == before
    else:
        pytest.fail("the ingest never fitted on the disk")
    assert len(failures) >= 3, failures
    after = state_of(index)
    assert after["counts"][0] == 40 and after != before
    doctor.repair(index)  # whatever the failed runs left behind
    assert doctor.diagnose(index) == []
    assert state_of(index) == after
    with capsys.disabled():
        print(f"\n[full-disk] ingest refused cleanly with {', '.join(f'{m // 1024} KB' for m in failures)} free; "
              "the previous state was intact each time")


def test_full_disk_message_from_the_command_line(small_disk, tmp_path, settings):
    if small_disk is None:
        pytest.skip("cannot mount a tmpfs here")
    source = tmp_path / "coverage"
    write_before(source)
    index = small_disk / "idx"
    assert ingest_in_process(settings, index, source) is None
    before = state_of(index)
    write_run(source)
    fill_disk_leaving(small_disk, 0)
    done = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(source), "--index", str(index)],
                          cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Error: Cannot open the records file {index / RECORDS}: the disk holding it "
                                  "is full"), done.stderr
    (finding,) = doctor.diagnose(index)  # not mistaken for damage
    assert finding.code == "disk-full" and "not damaged" in finding.problem
    with pytest.raises(NewsdeskError, match="free some disk space|Free some disk space"):
        doctor.repair(index)
    fill_disk_leaving(small_disk, 262_144)  # room to open, not to write everything
    done = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(source), "--index", str(index)],
                          cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Error: Could not write to the index at {index}: the disk is full; "
                                  "nothing from this run was saved"), done.stderr
    (small_disk / "filler.bin").unlink()
    assert state_of(index) == before


def test_file_size_limit_during_ingest_fails_cleanly(tmp_path, settings):
    """Where no tmpfs can be mounted: the OS refuses to let any file grow (RLIMIT_FSIZE)."""
    source = tmp_path / "coverage"
    write_before(source)
    index = tmp_path / "idx"
    assert ingest_in_process(settings, index, source) is None
    before = state_of(index)
    write_run(source)
    limit = max(p.stat().st_size for p in index.iterdir()) + 8192

    # The child sets its own limit (SIGXFSZ ignored: EFBIG instead of being killed) rather than a
    # preexec_fn, which would fork this process with whatever threads earlier tests left running.
    limited_cli = (
        "import resource, runpy, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "sys.argv = ['assistant'] + sys.argv[1:]; runpy.run_module('assistant', run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", limited_cli, "ingest", str(source), "--index", str(index)],
                          cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"Error: Could not write to the index at {index}: ")
    assert "nothing from this run was saved" in done.stderr
    assert state_of(index) == before


# ----------------------------------------------------------------------------- damaged files


def run_cli(*args: str):
    result = CliRunner().invoke(cli, list(args), env={"NEWSDESK_MODEL_PATH": "hashing"})
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)  # no traceback
    return result


@pytest.fixture
def cli_index(tmp_path):
    source = tmp_path / "coverage"
    write_before(source)
    index = tmp_path / "idx"
    assert run_cli("ingest", str(source), "--index", str(index)).exit_code == 0
    return index, source


def test_damaged_manifest_clear_error_then_repaired(cli_index):
    index, _ = cli_index
    expected = run_cli("list", "--index", str(index)).output
    (index / MANIFEST).write_bytes(b"\x00\xff{garbage")
    result = run_cli("list", "--index", str(index))
    assert result.exit_code == 1
    assert f"Error: The manifest {index / MANIFEST} is damaged or incomplete" in result.output
    assert "newsdesk doctor" in result.output
    doctor.repair(index)
    assert run_cli("list", "--index", str(index)).output == expected


def test_damaged_vectors_file_is_no_error_at_all(cli_index):
    index, _ = cli_index
    (index / VECTORS).write_bytes(os.urandom(5000))
    result = run_cli("stats", "--index", str(index))
    assert result.exit_code == 0 and "Articles:    20" in result.output
    state = state_of(index)  # searching rebuilds the vectors from the records
    assert state["dense"][0] and doctor.diagnose(index) == []


def test_damaged_records_clear_error_then_salvaged_and_rebuilt(cli_index):
    index, source = cli_index
    (index / RECORDS).write_bytes(b"junk" * 4096)
    for extra in ("-wal", "-shm"):
        (index / (RECORDS + extra)).unlink(missing_ok=True)
    for command in ("list", "stats"):
        result = run_cli(command, "--index", str(index))
        assert result.exit_code == 1 and f"Error: The records file {index / RECORDS}" in result.output
        assert "newsdesk doctor" in result.output
    actions = doctor.repair(index)
    assert "20 of the 20 articles the manifest counts are lost" in actions[0]
    assert run_cli("ingest", str(source), "--index", str(index)).exit_code == 0
    assert "Articles:    20" in run_cli("stats", "--index", str(index)).output


def test_damaged_page_in_the_records_is_a_clear_error_then_salvaged(cli_index):
    """Damage the open-time check does not reach surfaces on a later read: still one clear line."""
    index, source = cli_index
    _corrupt_pages_of(index / RECORDS, "articles", 1)
    result = run_cli("list", "--index", str(index))
    assert result.exit_code == 1
    assert "Error: the index records are damaged" in result.output and "newsdesk doctor" in result.output
    assert "records-damaged" in {f.code for f in doctor.diagnose(index)}
    doctor.repair(index)
    assert run_cli("ingest", str(source), "--index", str(index)).exit_code == 0  # brings back what was lost
    assert len(run_cli("list", "--index", str(index)).output.strip().splitlines()) == 20
    assert {f.code for f in doctor.diagnose(index)} == {"damaged-copy"}
