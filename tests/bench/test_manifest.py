"""run.json is updated under a lock and replaced atomically: runs started at once on one folder all land."""

from __future__ import annotations

import json
import threading

from pfnopt.bench.cells import update_manifest


def test_concurrent_updates_all_land_and_no_reader_sees_half_a_file(tmp_path):
    path = tmp_path / "run.json"
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(25):
                update_manifest(path, lambda old, i=i: {"runs": [*(old or {}).get("runs", []), {"writer": k, "i": i}]})
        except BaseException as e:  # surfaced below
            errors.append(e)

    def reader(stop: threading.Event) -> None:
        while not stop.is_set():
            if path.exists():
                try:
                    json.loads(path.read_text())
                except ValueError as e:
                    errors.append(e)

    stop = threading.Event()
    watch = threading.Thread(target=reader, args=(stop,))
    watch.start()
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert not errors
    runs = json.loads(path.read_text())["runs"]
    assert sorted((r["writer"], r["i"]) for r in runs) == [(k, i) for k in range(4) for i in range(25)]
