"""`collect` cannot be fooled or flooded: ids come from what the LMS controls; zips are streamed and capped."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from autograder.grading import collect as C

NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def run(source: Path, tmp_path: Path, notebooks=("ex01.ipynb",)):
    subs = tmp_path / "submitted"
    return C.collect("ex01", source, subs, list(notebooks)), subs


def collected(subs: Path) -> dict[str, str]:
    return {str(p.relative_to(subs)): p.read_text() for p in sorted(subs.rglob("*.ipynb"))} if subs.exists() else {}


def test_moodle_folder_gives_the_id_not_the_file_name_the_student_chose(tmp_path):
    download = make_zip(tmp_path / "moodle.zip", {
        "Alice Smith_11111_assignsubmission_file_/bob_ex01.ipynb": NB.replace("[]", '[{"cell_type": "raw", "source": "alice", "metadata": {}}]'),
        "Bob Jones_22222_assignsubmission_file_/ex01.ipynb": NB.replace("[]", '[{"cell_type": "raw", "source": "bob", "metadata": {}}]'),
    })
    report, subs = run(download, tmp_path)
    files = collected(subs)
    assert sorted(files) == ["11111/ex01.ipynb", "22222/ex01.ipynb"]
    assert '"alice"' in files["11111/ex01.ipynb"] and '"bob"' in files["22222/ex01.ipynb"]
    assert report.duplicates == [] and report.unknown == [] and report.refused == []


def test_a_file_inside_a_plain_student_folder_takes_the_folder_name(tmp_path):
    source = tmp_path / "folder"
    (source / "alice").mkdir(parents=True)
    (source / "alice" / "bob_ex01.ipynb").write_text(NB)
    report, subs = run(source, tmp_path)
    assert sorted(collected(subs)) == ["alice/ex01.ipynb"]


def test_two_notebooks_for_one_student_are_both_reported(tmp_path):
    download = make_zip(tmp_path / "moodle.zip", {
        "Alice Smith_11111_assignsubmission_file_/ex01.ipynb": NB,
        "Alice Smith_11111_assignsubmission_file_/ex01 (copy).ipynb": NB,
    })
    report, subs = run(download, tmp_path)
    assert sorted(collected(subs)) == ["11111/ex01.ipynb"]
    (line,) = report.duplicates
    assert "11111/ex01.ipynb" in line and "ex01 (copy).ipynb" in line and "assignsubmission_file_/ex01.ipynb" in line
    assert any(text.startswith("duplicate: 11111/ex01.ipynb") for text in report.lines())


def test_flat_canvas_names_still_work(tmp_path):
    download = make_zip(tmp_path / "canvas.zip", {"alice_1234_5678_ex01.ipynb": NB, "readme.txt": "hi"})
    report, subs = run(download, tmp_path)
    assert sorted(collected(subs)) == ["alice/ex01.ipynb"]
    assert report.unknown == ["readme.txt"]


def test_zip_bomb_entry_is_refused_without_reading_it(tmp_path):
    # 21 MB of zeros compress to about 20 kB; its declared size is over the per-entry cap.
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("alice_1_2_ex01.ipynb", "w") as entry:
            for _ in range(21):
                entry.write(b"\0" * 1_000_000)
        archive.writestr("bob_1_2_ex01.ipynb", NB)
    assert bomb.stat().st_size < 200_000
    report, subs = run(bomb, tmp_path)
    assert sorted(collected(subs)) == ["bob/ex01.ipynb"]
    (line,) = report.refused
    assert line.startswith("alice_1_2_ex01.ipynb: declares 21,000,000 bytes")


def test_entry_whose_data_outgrows_its_declared_size_stops_at_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "MAX_ENTRY_BYTES", 1_000)
    download = make_zip(tmp_path / "big.zip", {"alice_1_2_ex01.ipynb": "x" * 5_000})
    with zipfile.ZipFile(download) as archive:
        (info,) = archive.infolist()
    # Check the streaming cap itself, with the declared-size check out of the way.
    report = C.CollectReport()
    with pytest.raises(C.Refused), zipfile.ZipFile(download) as archive, archive.open(info) as stream:
        C.copy_capped(stream, tmp_path / "out" / "ex01.ipynb")
    assert not list((tmp_path / "out").iterdir())  # no partial file left behind
    report, subs = run(download, tmp_path)
    assert "declares 5,000 bytes" in report.refused[0] and collected(subs) == {}


def test_total_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "MAX_TOTAL_BYTES", len(NB) * 2)
    download = make_zip(tmp_path / "many.zip", {f"s{i}_1_2_ex01.ipynb": NB for i in range(4)})
    report, subs = run(download, tmp_path)
    assert sorted(collected(subs)) == ["s0/ex01.ipynb", "s1/ex01.ipynb"]
    assert [line.split(":")[0] for line in report.refused] == ["s2_1_2_ex01.ipynb", "s3_1_2_ex01.ipynb"]
    assert all("the zip's entries add up to more than" in line for line in report.refused)


def test_a_zip_with_too_many_entries_is_refused_before_its_directory_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(C, "MAX_ENTRIES", 3)
    download = make_zip(tmp_path / "many.zip", {f"s{i}_1_2_ex01.ipynb": NB for i in range(5)})
    monkeypatch.setattr(C.zipfile, "ZipFile", None)  # opening the archive would fail the test
    report, subs = run(download, tmp_path)
    assert collected(subs) == {}
    assert report.refused == ["many.zip: declares 5 entries, over the cap of 3; nothing was read"]


@pytest.mark.parametrize("name, why", [
    ("../evil_1_2_ex01.ipynb", "'..'"),
    ("alice/../../evil_ex01.ipynb", "'..'"),
    ("/etc/evil_1_2_ex01.ipynb", "absolute path"),
    ("C:/evil_1_2_ex01.ipynb", "absolute path"),
    ("alice\\..\\ex01.ipynb", "backslash"),
])
def test_path_traversal_entries_are_refused(tmp_path, name, why):
    download = make_zip(tmp_path / "evil.zip", {name: NB, "bob_1_2_ex01.ipynb": NB})
    report, subs = run(download, tmp_path)
    assert sorted(collected(subs)) == ["bob/ex01.ipynb"]
    (line,) = report.refused
    assert line.startswith(name) and why in line
    assert not (tmp_path / "evil_1_2_ex01.ipynb").exists() and not Path("/etc/evil_1_2_ex01.ipynb").exists()


def _special_entry(archive: zipfile.ZipFile, name: str, mode: int, data: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    archive.writestr(info, data)


@pytest.mark.parametrize("mode, why", [(stat.S_IFLNK | 0o777, "symbolic link"), (stat.S_IFIFO | 0o644, "not a regular file")])
def test_links_and_special_entries_are_refused(tmp_path, mode, why):
    download = tmp_path / "links.zip"
    with zipfile.ZipFile(download, "w") as archive:
        _special_entry(archive, "alice_1_2_ex01.ipynb", mode, "/etc/passwd")
        _special_entry(archive, "bob_1_2_ex01.ipynb", stat.S_IFREG | 0o644, NB)
    report, subs = run(download, tmp_path)
    assert sorted(collected(subs)) == ["bob/ex01.ipynb"]
    assert report.refused == [f"alice_1_2_ex01.ipynb: a {why}" if why == "symbolic link" else f"alice_1_2_ex01.ipynb: {why}"]


def test_symlink_in_a_source_folder_is_refused_and_reported(tmp_path):
    source = tmp_path / "folder"
    (source / "alice").mkdir(parents=True)
    (tmp_path / "secret.ipynb").write_text(NB)
    (source / "alice" / "ex01.ipynb").symlink_to(tmp_path / "secret.ipynb")
    report, subs = run(source, tmp_path)
    assert collected(subs) == {}
    assert report.refused == ["alice/ex01.ipynb: a symbolic link"]


def test_existing_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("untouched")
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    (tmp_path / "submitted" / "alice" / "ex01.ipynb").symlink_to(outside)
    download = make_zip(tmp_path / "canvas.zip", {"alice_1_2_ex01.ipynb": NB})
    run(download, tmp_path)
    assert outside.read_text() == "untouched"
    target = tmp_path / "submitted" / "alice" / "ex01.ipynb"
    assert not target.is_symlink() and target.read_text() == NB


def test_special_files_in_a_source_folder_are_refused_and_reported(tmp_path):
    import os

    source = tmp_path / "folder"
    (source / "alice").mkdir(parents=True)
    os.mkfifo(source / "alice" / "ex01.ipynb")  # reading it would block forever
    report, subs = run(source, tmp_path)
    assert collected(subs) == {} and report.refused == ["alice/ex01.ipynb: not a regular file"]
