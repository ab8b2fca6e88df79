"""The disk fills up while the headman's announcement is being made: no half file is left behind,
nothing is recorded, and the page and the command say so in Thai; with room again it just works.

How the fault is made real: the instance folder (audio cache and announcements) is a tiny tmpfs
mounted for the test (we run as root), filled with a filler file so that exactly the wanted room
is left: the write that runs out really gets ENOSPC from the kernel (the cache's sentence files,
the scratch WAV, ffmpeg's MP3). Where mounting is not allowed those tests skip, and the last test
still injects ENOSPC at the atomic writer's file object (``prompts_th.cache``'s ``open``), which
also reaches the writes that come after the MP3 (the ``.json`` record, the ``.txt`` text).
"""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prompts_th import audio
from prompts_th.announce import compose_announcement
from prompts_th.cache import AudioCache
from prompts_th.engines import FakeEngine
from tests.admin.conftest import make_app, sign_in, text_of
from wela.admin.orm import Announcement
from wela.cli import main

pytestmark = pytest.mark.fault

TEXT = "ขอเชิญชาวบ้านหมู่ห้า ร่วมประชุมที่ศาลาวัด วันอาทิตย์นี้ เก้าโมงเช้า"
DISK_FULL_TH = "บันทึกไฟล์เสียงไม่ได้ค่ะ พื้นที่เก็บข้อมูลอาจเต็ม กรุณาแจ้งผู้ดูแลระบบ"
PAGE = 4096
DISK_BYTES = 4 * 1024 * 1024


class TinyDisk:
    """A tmpfs of a few MB; ``leave(n)`` fills it so that n bytes stay free."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.filler = mount / ".filler"

    def free(self) -> int:
        st = os.statvfs(self.mount)
        return st.f_bavail * st.f_frsize

    def leave(self, room: int) -> None:
        self.filler.unlink(missing_ok=True)
        with open(self.filler, "wb") as out:
            out.write(b"\0" * max(self.free() - room, 0))
        assert abs(self.free() - room) < 2 * PAGE, (self.free(), room)

    def empty(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def disk(tmp_path):  # noqa: ANN001, ANN201
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); "
                    "the injected ENOSPC test below still runs")
    try:
        yield TinyDisk(mount)
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=30, check=False)
        if os.path.ismount(mount):
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30, check=False)


@pytest.fixture
def sizes(tmp_path) -> dict[str, int]:
    """Bytes each stage needs, measured once on the ordinary disk with the same voice and text."""
    folder = tmp_path / "measure"
    made = compose_announcement(TEXT, FakeEngine(), AudioCache(folder / "audio"), folder / "ann")
    pages = lambda size: -(-size // PAGE) * PAGE  # noqa: E731
    cache = sum(pages(p.stat().st_size) for p in (folder / "audio").iterdir())
    wav = pages(round(made.duration_s * audio.RATE) * 2 + 44)
    return {"cache": cache, "wav": wav, "mp3": pages(made.path.stat().st_size)}


def _seconds(sizes: dict[str, int]) -> float:
    """How long the whole announcement is, from the size of its scratch WAV."""
    return (sizes["wav"] - 44) / (audio.RATE * 2)


def _app(tmp_path, clock, instance: Path):  # noqa: ANN001, ANN202
    from scheduler.ports import FakeNotifier

    return make_app(tmp_path, clock, FakeNotifier(), FakeEngine(), instance_path=instance,
                    secret_key="disk-full-test")


def _no_half_files(instance: Path) -> None:
    """Only whole things on the disk: no temp files or scratch folders, every MP3 with its record."""
    leftovers = [p for p in instance.rglob("*") if p.name.endswith(".part") or p.name.startswith(".compose-")]
    assert leftovers == []
    for folder in (instance / "audio", instance / "announcements"):
        if not folder.exists():
            continue
        mp3s = {p.stem for p in folder.glob("*.mp3")}
        records = {p.stem for p in folder.glob("*.json")}
        assert mp3s == records, (folder, mp3s ^ records)
        for stem in mp3s:
            assert audio.duration(folder / f"{stem}.mp3") > 0.5


def _announcements(app) -> int:  # noqa: ANN001
    with app.extensions["wela"].sessions() as s:
        return s.scalar(select(func.count(Announcement.id)))


def _make_on_the_web(client):  # noqa: ANN001, ANN202
    return client.post("/announcements/new", data={"template": "free", "text": TEXT, "action": "make"})


@pytest.mark.parametrize("stage", ["cache", "scratch-wav", "mp3"])
def test_the_page_says_the_disk_is_full_in_thai_and_leaves_no_half_file(disk, sizes, tmp_path, clock, stage):
    room = {"cache": PAGE,
            "scratch-wav": sizes["cache"] + 16 * PAGE,
            "mp3": sizes["cache"] + sizes["wav"] + sizes["mp3"] // 2}[stage]
    app = _app(tmp_path, clock, disk.mount)
    try:
        client = app.test_client()
        sign_in(client, app, "headman")
        disk.leave(room)
        response = _make_on_the_web(client)
        page = text_of(response)
        assert response.status_code == 400, page[:2000]
        assert DISK_FULL_TH in page and "Traceback" not in page and "Errno" not in page
        assert _announcements(app) == 0
        _no_half_files(disk.mount)

        disk.empty()                                           # the manager frees some room
        response = _make_on_the_web(client)
        assert response.status_code == 302, text_of(response)[:2000]
        assert _announcements(app) == 1
        _no_half_files(disk.mount)
        [mp3] = list((disk.mount / "announcements").glob("*.mp3"))
        assert audio.duration(mp3) == pytest.approx(_seconds(sizes), abs=0.3)
        assert (mp3.with_suffix(".txt")).read_text("utf-8").strip() == TEXT
    finally:
        app.extensions["wela"].close()


def test_wela_announce_on_a_full_disk_prints_the_thai_error_and_exits_1(disk, sizes, tmp_path, clock):
    app = _app(tmp_path, clock, disk.mount)
    try:
        disk.leave(sizes["cache"] + 16 * PAGE)
        result = _cli(app, "announce", "--text", TEXT, "--by", "somsak")
        assert result.exit_code == 1
        assert f"ผิดพลาด: {DISK_FULL_TH}" in result.stderr
        assert "No space left on device" in result.stderr                   # the English line, for staff
        assert "Traceback" not in result.output + result.stderr
        assert _announcements(app) == 0
        _no_half_files(disk.mount)
    finally:
        app.extensions["wela"].close()


def _cli(app, *args: str):  # noqa: ANN001, ANN202
    try:
        runner = app.test_cli_runner(mix_stderr=False)
    except TypeError:
        runner = app.test_cli_runner()
    return runner.invoke(main, list(args))


@pytest.mark.parametrize("victim", ["cache sentence", ".json.", ".txt."])
def test_enospc_at_the_atomic_writers_file_object_is_a_thai_error_and_no_half_file(tmp_path, clock, monkeypatch,
                                                                                   victim):
    """Injected, not real (see the module's note): the file object of the atomic writer fails to write."""
    import prompts_th.cache as cache_module

    real_open = open

    class FullDiskFile:
        def __init__(self, handle) -> None:  # noqa: ANN001
            self.handle = handle

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])           # half of it lands, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self):  # noqa: ANN204
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    def filling_open(path, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        handle = real_open(path, mode, *args, **kwargs)
        in_announcements = Path(path).parent.name == "announcements"
        if "w" in mode and in_announcements and victim in Path(path).name:
            return FullDiskFile(handle)
        return handle

    instance = tmp_path / "instance"
    app = _app(tmp_path, clock, instance)
    try:
        client = app.test_client()
        sign_in(client, app, "headman")
        if victim == "cache sentence":
            # (The announcement MP3 itself is written by ffmpeg, not through this file object: the
            # tmpfs tests above fill the disk under ffmpeg for real.)
            monkeypatch.setattr(cache_module, "open", _fail_everywhere(real_open), raising=False)
        else:
            monkeypatch.setattr(cache_module, "open", filling_open, raising=False)
        response = _make_on_the_web(client)
        page = text_of(response)
        assert response.status_code == 400, page[:2000]
        assert DISK_FULL_TH in page and "Traceback" not in page
        assert _announcements(app) == 0
        _no_half_files(instance)
        if victim == ".txt.":
            assert not list((instance / "announcements").glob("*.txt"))

        monkeypatch.undo()                                     # room again
        assert _make_on_the_web(client).status_code == 302
        assert _announcements(app) == 1
        _no_half_files(instance)
    finally:
        app.extensions["wela"].close()


def _fail_everywhere(real_open):  # noqa: ANN001, ANN202
    def failing(path, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if "w" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, mode, *args, **kwargs)
    return failing
