"""What a reader of every day (an export, a report) does for each file, and does not."""

from storage import journal
from storage.repository import Repository


def test_a_reader_digests_a_day_file_only_to_replay_its_journal(
        data_dir, clock, settings, monkeypatch):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        day = session.date_of_service
    digested: list[bytes] = []
    real = journal.base_digest

    def digest(content: bytes) -> str:
        digested.append(content)
        return real(content)

    monkeypatch.setattr(journal, "base_digest", digest)
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert [s.id for s, _ in reader.day_sessions(day, keep=False)] == [session.id]
    assert digested == []  # no journal: nothing to replay, and a reader appends nothing
    with Repository.open(data_dir, clock, settings) as writer:
        segment = writer.commands.start(session.id, "97110")
        assert journal.journal_path(writer.store.day_path(day)).exists()
        digested.clear()  # what the writer digested
        with Repository.open(data_dir, clock, settings, read_only=True) as reader:
            ((_, segments),) = reader.day_sessions(day, keep=False)
            assert [s.id for s in segments] == [segment.id]
        assert digested  # the reader digested the day file to replay the journal on it
