"""Kill -9 during an ingest, at many points: the index always holds the state before or after it.

Two kinds of kills:
- Instrumented: a driver process imports Newsdesk once, records the ordered events of a full
  ingest (files read, embedding batches, rows written, COMMIT, the vectors/manifest temp files,
  fsyncs and renames), then forks one `newsdesk ingest` per chosen event and SIGKILLs it right
  there. Forking keeps each run cheap; every event after the commit point is covered.
- Timed: the real `python -m assistant ingest` in a subprocess, SIGKILLed from outside after
  delays spread over a full run.
After each kill the index must open and equal the reference state from before the ingest
(killed before COMMIT) or after it (killed after COMMIT), never anything in between.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import doctor
from assistant.embed import HashingEmbedder
from assistant.index import Index

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

WORDS = ("ministry denied strike officials army fired missiles port residents fled grain exports "
         "resumed talks collapsed harbour council budget vote court ruling appeal").split()
QUERIES = ("grain exports resumed", "council budget vote", "kw7x", "kw33x", "army fired missiles")
INSTRUMENTED_KILLS = 24
TIMED_KILLS = 5


def write_story(folder: Path, i: int, edition: int = 0) -> None:
    """Article i (edition > 0: a corrected version of the same file)."""
    paragraphs = []
    for p in range(5):
        words = [WORDS[(i * 7 + p * 3 + k + edition) % len(WORDS)] for k in range(16)]
        paragraphs.append(f"Officials in town {i} said the {' '.join(words)} on day {p}. "
                          f"“We deny it,” the council of town {i} said about kw{i}x report {p}.")
    (folder / f"story-{i:03d}.md").write_text(
        f"---\ntitle: Story {i}{' (corrected)' if edition else ''}\noutlet: Outlet {i % 4}\n"
        f"date: 2024-03-{i % 28 + 1:02d}\n---\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def write_before(folder: Path) -> None:
    """The coverage folder as first ingested: 20 stories."""
    folder.mkdir()
    for i in range(20):
        write_story(folder, i)


def write_run(folder: Path) -> None:
    """The same folder later: 4 stories corrected, 16 unchanged, 20 new, one wire copy, one bad file."""
    for i in range(0, 20, 5):
        write_story(folder, i, edition=1)
    for i in range(20, 40):
        write_story(folder, i)
    wire = (folder / "story-021.md").read_text(encoding="utf-8")  # another outlet's headline, same body
    (folder / "copy-of-021.md").write_text(wire.replace("title: Story 21", "title: Town 21 denies it")
                                           .replace("outlet: Outlet 3", "outlet: Wire Copy Daily"), encoding="utf-8")
    (folder / "broken.json").write_text('{"title": "half a rec', encoding="utf-8")


def state_of(path: Path) -> dict:
    """Everything a user could observe: articles, their text, counts and search results."""
    embedder = HashingEmbedder()
    index = Index.open(path, embedder.model_id, embedder.dimension)
    try:
        chunk_id = lambda rowid: index.chunks_by_rowid([rowid])[rowid].id  # noqa: E731
        stats = index.stats()
        return {
            "articles": sorted((r.id, r.title, r.duplicate_of, r.chunks) for r in index.list_articles()),
            "hashes": sorted((a, index.get_article(a).article.content_hash) for a, *_ in
                             ((r.id,) for r in index.list_articles())),
            "counts": (stats.articles, stats.duplicates, stats.chunks, stats.sentences, stats.statements),
            "bm25": [[chunk_id(r) for r, _ in index.search_bm25(q, 5)] for q in QUERIES],
            "dense": [[chunk_id(r) for r, _ in index.search_dense(embedder.embed([q])[0], 5)] for q in QUERIES],
        }
    finally:
        index.close()


def cli_env() -> dict[str, str]:
    return {**os.environ, "NEWSDESK_MODEL_PATH": "hashing", "OMP_NUM_THREADS": "1",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{TESTS}", "HF_HUB_OFFLINE": "1"}


def cli_ingest(source: Path, index: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(source), "--index", str(index)],
                            cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# ----------------------------------------------------------------------------- the driver


def driver_main(mode: str, base: str, source: str, work: str, kill_points: str = "") -> None:
    """Runs in its own process (imports once, forks one child per ingest). See the module doc."""
    base_path, work_path = Path(base), Path(work)
    if mode == "record":
        target = work_path / "recorded"
        shutil.copytree(base_path, target)
        status = _run_child(source, target, kill_at=-1, events_file=work_path / "events.json")
        (work_path / "record-status").write_text(str(status))
        return
    running: dict[int, int] = {}  # pid -> kill point; two at a time (two cores)
    results = {}
    for k in json.loads(kill_points):
        target = work_path / f"kill-{k:04d}"
        shutil.copytree(base_path, target)
        if len(running) >= 2:
            pid, status = os.wait()
            results[running.pop(pid)] = _status_text(status)
        running[_start_child(source, target, kill_at=k, events_file=None)] = k
    while running:
        pid, status = os.wait()
        results[running.pop(pid)] = _status_text(status)
    (work_path / "kill-status.json").write_text(json.dumps(results))


def _run_child(source: str, index: str | Path, kill_at: int, events_file: Path | None) -> str:
    _, status = os.waitpid(_start_child(source, index, kill_at, events_file), 0)
    return _status_text(status)


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"


def _start_child(source: str, index: str | Path, kill_at: int, events_file: Path | None) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            events = _instrument(kill_at)
            from assistant.cli import main

            try:
                main(["ingest", source, "--index", str(index)])
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            if events_file is not None:
                events_file.write_text(json.dumps(events))
        finally:
            os._exit(code)
    return pid


def _instrument(kill_at: int) -> list[str]:
    """Wrap the steps of an ingest so that event number `kill_at` SIGKILLs this process first."""
    import faiss

    from assistant import db, embed, index, read

    events: list[str] = []

    def hit(name: str) -> None:
        if len(events) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        events.append(name)

    def wrap(owner, attr: str, before: str | None, after: str | None = None, name_of=None):
        original = getattr(owner, attr)

        def wrapper(*args, **kwargs):
            suffix = f":{name_of(*args)}" if name_of else ""
            if before:
                hit(before + suffix)
            result = original(*args, **kwargs)
            if after:
                hit(after + suffix)
            return result

        setattr(owner, attr, wrapper)

    wrap(read, "read_path", "read", name_of=lambda path, *_: Path(path).name)
    wrap(embed.HashingEmbedder, "embed", "embed")
    wrap(index.IndexWriter, "put_article", "put", "put-done")
    wrap(faiss, "write_index", None, "faiss-temp-written")
    wrap(os, "fsync", "fsync")
    wrap(os, "replace", "replace", "replaced", name_of=lambda src, dst: Path(dst).name)
    # The commit point: Database.commit runs the COMMIT of the writer's transaction.
    wrap(db.Database, "commit", "commit", "committed")
    return events


def run_driver(*args: str, timeout: float = 120) -> None:
    code = "import sys, test_crash_safety as t; t.driver_main(*sys.argv[1:])"
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=cli_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]


def choose_kill_points(events: list[str], count: int) -> list[int]:
    """Every event from the commit on, plus events spread evenly over the work before it."""
    commit = events.index("commit")
    tail = list(range(commit, len(events)))
    head_count = max(count - len(tail), 1)
    step = commit / head_count
    head = sorted({int(step * n) for n in range(head_count)})
    return head + tail


# ----------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    run_src = tmp / "coverage"
    write_before(run_src)
    base = tmp / "base"
    first = cli_ingest(run_src, base)
    assert first.wait(60) == 0, first.stderr.read().decode()
    write_run(run_src)
    after = tmp / "after"
    shutil.copytree(base, after)
    started = time.monotonic()
    full = cli_ingest(run_src, after)
    assert full.wait(60) == 3, full.stderr.read().decode()  # 3: the broken file was skipped
    full_seconds = time.monotonic() - started
    return {"tmp": tmp, "base": base, "source": run_src, "before": state_of(base), "after": state_of(after),
            "full_seconds": full_seconds}


def check_killed_index(path: Path, before: dict, after: dict, expect: str | None = None) -> str:
    """The index at `path` opens and equals `before` or `after`; returns which."""
    errors = [f for f in doctor.diagnose(path) if f.severity == "error"]
    assert errors == [], f"{path.name}: {errors}"
    state = state_of(path)
    which = "before" if state == before else "after" if state == after else "in between"
    assert which != "in between", f"{path.name} holds neither the old nor the new state"
    if expect:
        assert which == expect, f"{path.name}: expected the {expect} state, found the {which} state"
    doctor.repair(path)  # temp files of the killed writer; vectors/manifest brought up to date
    assert doctor.diagnose(path) == []
    assert state_of(path) == state
    return which


def test_the_states_differ_enough_to_tell_apart(scenario):
    before, after = scenario["before"], scenario["after"]
    assert before["counts"][0] == 20 and after["counts"][0] == 40 and after["counts"][1] == 1
    assert len({a for a, *_ in before["articles"]} - {a for a, *_ in after["articles"]}) == 4  # corrected
    assert before["bm25"] != after["bm25"] and before["hashes"] != after["hashes"]


def test_sigkill_at_instrumented_points_leaves_the_old_or_the_new_state(scenario, capsys):
    tmp, before, after = scenario["tmp"], scenario["before"], scenario["after"]
    work = tmp / "instrumented"
    work.mkdir()
    run_driver("record", str(scenario["base"]), str(scenario["source"]), str(work))
    assert (work / "record-status").read_text() == "exit 3"
    assert state_of(work / "recorded") == after  # the instrumented run is the same ingest
    events = json.loads((work / "events.json").read_text())
    commit = events.index("commit")
    assert "faiss-temp-written" in events[commit:] and "replaced:manifest.json" in events[commit:]

    points = choose_kill_points(events, INSTRUMENTED_KILLS)
    run_driver("kill", str(scenario["base"]), str(scenario["source"]), str(work), json.dumps(points))
    statuses = json.loads((work / "kill-status.json").read_text())
    survived = {"before": 0, "after": 0}
    for k in points:
        assert statuses[str(k)] == f"signal {signal.SIGKILL}", f"kill point {k} ({events[k]}) did not kill"
        expect = "before" if k <= commit else "after"  # killed before "committed" = before the commit point
        which = check_killed_index(work / f"kill-{k:04d}", before, after, expect)
        survived[which] += 1
    with capsys.disabled():  # the figure docs/security.md quotes, shown in a normal run
        print(f"\n[crash-safety] {len(points)} instrumented SIGKILLs survived over {len(events)} ingest events "
              f"({survived['before']} left the old state, {survived['after']} the new one); killed at: "
              + ", ".join(sorted({events[k].split(':')[0] for k in points})))

    # After a kill, the same ingest completes normally (the lock died with the process).
    again = cli_ingest(scenario["source"], work / f"kill-{points[len(points) // 2]:04d}")
    assert again.wait(60) == 3
    assert state_of(work / f"kill-{points[len(points) // 2]:04d}") == after


def test_sigkill_of_the_real_cli_at_timed_points_leaves_the_old_or_the_new_state(scenario, capsys):
    tmp, before, after = scenario["tmp"], scenario["before"], scenario["after"]
    full = scenario["full_seconds"]
    work = tmp / "timed"
    work.mkdir()
    outcomes = []
    for n in range(TIMED_KILLS):
        delay = full * (0.45 + 0.6 * n / max(TIMED_KILLS - 1, 1))  # from the end of imports to just past the end
        target = work / f"timed-{n}"
        shutil.copytree(scenario["base"], target)
        process = cli_ingest(scenario["source"], target)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        outcomes.append((round(delay, 2), check_killed_index(target, before, after)))
    with capsys.disabled():
        print(f"\n[crash-safety] {len(outcomes)} timed SIGKILLs of `python -m assistant ingest` survived "
              f"(full run {full:.2f} s): {outcomes}")
