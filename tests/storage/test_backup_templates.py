"""A backup keeps the user's charge file templates (templates/NAME.toml) and a restore puts
them back as they were, even one with a mistake in it (said when an export uses it, never a
reason to refuse the patients' data); other files in templates/ are not ours to archive."""

import tarfile

from tests.cli.test_backup_check import busy_folder, run

GOOD = 'date_format = "MM/DD/YYYY"\n[[columns]]\nheader = "Chart #"\nsource = "patient"\n'
BROKEN = 'date_format = "MM/DD/YYYY"\n[[columns]\n'  # a TOML syntax error, kept as it is


def test_templates_go_into_the_archive_and_come_back_byte_for_byte(capsys, tmp_path, clock,
                                                                    settings):
    folder = busy_folder(tmp_path / "data", clock, settings)
    (folder / "templates").mkdir()
    (folder / "templates" / "office.toml").write_text(GOOD)
    (folder / "templates" / "draft.toml").write_text(BROKEN)
    (folder / "templates" / "notes.txt").write_text("not a template")
    archive = tmp_path / "backup.tar.gz"
    status, _, err = run(capsys, "--data-dir", str(folder), "backup", str(archive))
    assert status == 0, err
    with tarfile.open(archive) as opened:
        names = {member.name.removeprefix("tabletime-backup/") for member in opened}
    assert {"templates/office.toml", "templates/draft.toml"} <= names
    assert "templates/notes.txt" not in names

    restored = tmp_path / "restored"
    status, _, err = run(capsys, "--data-dir", str(restored), "restore", str(archive))
    assert status == 0, err
    assert (restored / "templates" / "office.toml").read_text() == GOOD
    assert (restored / "templates" / "draft.toml").read_text() == BROKEN
    assert not (restored / "templates" / "notes.txt").exists()
    assert (restored / "templates" / "office.toml").stat().st_mode & 0o777 == 0o600

    status, out, err = run(capsys, "--data-dir", str(restored), "export", "--kind", "charges",
                           "--template", "office")
    assert status == 0, err
    assert out.splitlines()[0] == "Chart #"
    status, _, err = run(capsys, "--data-dir", str(restored), "export", "--kind", "charges",
                         "--template", "draft")
    assert status == 2 and "draft.toml" in err


def test_no_template_keeps_the_patients_data_from_a_backup(capsys, tmp_path, clock, settings):
    """Latin-1 bytes, a link to a template kept elsewhere (export reads it so), a folder
    named like a template: the backup is written; files come back as they were."""
    folder = busy_folder(tmp_path / "data", clock, settings)
    (folder / "templates").mkdir()
    (folder / "templates" / "latin.toml").write_bytes(b"# caf\xe9\n")
    elsewhere = tmp_path / "shared.toml"
    elsewhere.write_text(GOOD)
    (folder / "templates" / "shared.toml").symlink_to(elsewhere)
    (folder / "templates" / "odd.toml").mkdir()
    archive = tmp_path / "backup.tar.gz"
    status, _, err = run(capsys, "--data-dir", str(folder), "backup", str(archive))
    assert status == 0, err
    restored = tmp_path / "restored"
    status, _, err = run(capsys, "--data-dir", str(restored), "restore", str(archive))
    assert status == 0, err
    assert (restored / "templates" / "latin.toml").read_bytes() == b"# caf\xe9\n"
    assert (restored / "templates" / "shared.toml").read_text() == GOOD
    assert not (restored / "templates" / "shared.toml").is_symlink()
    assert sorted(p.name for p in (restored / "templates").iterdir()) == ["latin.toml",
                                                                          "shared.toml"]


def test_a_file_no_template_could_be_is_named_and_nothing_is_written(capsys, tmp_path, clock,
                                                                     settings):
    folder = busy_folder(tmp_path / "data", clock, settings)
    (folder / "templates").mkdir()
    (folder / "templates" / "huge.toml").write_bytes(b"#" * (2 * 1024 * 1024))
    archive = tmp_path / "backup.tar.gz"
    status, _, err = run(capsys, "--data-dir", str(folder), "backup", str(archive))
    assert status != 0
    assert "huge.toml" in err and "templates/" in err and "nothing was written" in err
    assert not archive.exists()
