"""labkit.submit: `make submit` writes the zip `labkit grade` accepts, and nothing else."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile

import pytest

from labkit.grading.release import student_kit
from labkit.grading.submissions import MAX_FILES, Submission, discover, unpack
from labkit.grading.targets import Target
from tests.kit.helpers import clean_env


@pytest.fixture
def kit(tmp_path):
    return student_kit(tmp_path / "kit")


def submit(kit, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(PYTHONPATH=str(kit), LABKIT_STATE_DIR=str(kit / ".labkit"))
    return subprocess.run([sys.executable, "-m", "labkit", "submit", *args], cwd=kit, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_zip_holds_the_labs_folder_and_a_manifest_only(kit):
    folder = kit / "labs" / "lab3_slack_gsheet"
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "x.pyc").write_bytes(b"cache")
    (folder / "notes.md").write_text("my notes")
    (kit / "notebooks" / "scratch.txt").write_text("not part of lab 3")
    run = submit(kit, "lab3", "--student", "Ada Lovelace")
    assert run.returncode == 0, run.stdout + run.stderr
    archive = kit / "submit" / "lab3-Ada_Lovelace.zip"
    with zipfile.ZipFile(archive) as zf:
        names = sorted(zf.namelist())
        manifest = json.loads(zf.read("MANIFEST.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["path"])).hexdigest() == entry["sha256"]
    expected = sorted(f"labs/lab3_slack_gsheet/{p.relative_to(folder).as_posix()}"
                      for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert names == sorted([*expected, "MANIFEST.json"])
    assert "labs/lab3_slack_gsheet/common/alerts.py" in names
    assert manifest["lab"] == "lab3" and manifest["student"] == "Ada Lovelace" and manifest["kit_version"]
    assert manifest["last_local_score"] is None and "no local score yet" in run.stdout


def test_labkit_grade_finds_every_lab_file_in_the_zip(kit, tmp_path):
    assert submit(kit, "lab3", "--student", "ada").returncode == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "lab3-ada.zip").write_bytes((kit / "submit" / "lab3-ada.zip").read_bytes())
    found = discover(inbox)
    files = unpack(found[0], tmp_path / "unpacked")
    target = Target("submission", files)
    assert all(path.exists() for path in target.lab_files("lab3"))
    assert all(str(path).startswith(str(files)) for path in target.lab_files("lab3"))


def test_the_manifest_says_whether_the_last_score_was_for_these_files(kit):
    results = kit / ".labkit" / "results"
    results.mkdir(parents=True)
    fingerprints = _fingerprints(kit, "lab1")
    (results / "lab1.json").write_text(json.dumps({
        "lab": "lab1", "target": "student", "tests": [
            {"nodeid": "a", "name": "a", "points": 2, "outcome": "passed"},
            {"nodeid": "b", "name": "b", "points": 3, "outcome": "failed"}],
        "files_sha256": fingerprints}))
    run = submit(kit, "lab1", "--student", "ada")
    assert "your last local score for these files: 2/5" in run.stdout, run.stdout
    starter = kit / "labs" / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py"
    starter.write_text(starter.read_text() + "\n# an edit after the last score\n")
    run = submit(kit, "lab1", "--student", "ada")
    assert "was for an older version of your files" in run.stdout, run.stdout
    with zipfile.ZipFile(kit / "submit" / "lab1-ada.zip") as zf:
        assert json.loads(zf.read("MANIFEST.json"))["last_local_score"]["same_files"] is False


def test_a_symbolic_link_in_the_lab_folder_is_refused_with_the_reason(kit):
    (kit / "labs" / "lab1_dedupe_upsert" / "secret.py").symlink_to("/etc/hostname")
    run = submit(kit, "lab1", "--student", "ada")
    assert run.returncode == 1 and "secret.py is a symbolic link" in run.stdout
    assert not (kit / "submit" / "lab1-ada.zip").exists()


def test_submit_with_no_lab_writes_one_zip_per_lab(kit):
    run = submit(kit, "--student", "ada")
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(p.name for p in (kit / "submit").glob("*.zip")) == [f"lab{n}-ada.zip" for n in range(1, 7)]


def _fingerprints(kit, lab: str) -> dict[str, str]:
    """What `make test` records for the edition's files (computed the same way, in the edition)."""
    code = ("import json; from labkit.grading.targets import Target; "
            f"print(json.dumps(Target.parse('student').fingerprints({lab!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=kit, env=clean_env(PYTHONPATH=str(kit)),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_unpack_copies_a_folder_submission_without_links(tmp_path):
    source = tmp_path / "alice"
    (source / "lab1_dedupe_upsert").mkdir(parents=True)
    (source / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py").write_text("x = 1\n")
    copied = unpack(Submission("alice", source), tmp_path / "copy")
    assert (copied / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py").read_text() == "x = 1\n"


def test_a_folder_submission_gets_the_zip_limits_before_anything_is_copied(tmp_path):
    """Issue 17 #2: a 10 MB file in a folder was copied as is; a zip of it was refused."""
    source = tmp_path / "mallory"
    (source / "lab1_dedupe_upsert").mkdir(parents=True)
    (source / "lab1_dedupe_upsert" / "lab1_dedupe_upsert.py").write_text("x = 1\n")
    with open(source / "lab1_dedupe_upsert" / "data.bin", "wb") as big:
        big.truncate(10 * 2**20)  # sparse: 10 MB to the grader, nothing on this disk
    with pytest.raises(ValueError, match=r"folder holds more than 5 MB"):
        unpack(Submission("mallory", source), tmp_path / "copy")
    assert not (tmp_path / "copy").exists(), "nothing may be copied from a refused folder"

    many = tmp_path / "trent"
    many.mkdir()
    for i in range(MAX_FILES + 1):
        (many / f"f{i}.py").touch()
    with pytest.raises(ValueError, match=rf"folder holds more than {MAX_FILES} files"):
        unpack(Submission("trent", many), tmp_path / "copy2")

    zipped = tmp_path / "mallory.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(source / "lab1_dedupe_upsert" / "data.bin", "lab1_dedupe_upsert/data.bin")
    with pytest.raises(ValueError, match=r"zip holds more than 5 MB"):
        unpack(Submission("mallory", zipped), tmp_path / "copy3")
