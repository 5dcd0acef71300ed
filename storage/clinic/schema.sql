-- The clinic database that `tabletime clinic merge` writes: several therapists' backups in one
-- file for the biller. Plain SQL: SQLite, PostgreSQL and DuckDB read it without change.
--
-- Conventions:
--   * every row names its therapist: therapist_id (therapists.therapist_id); a clinic check,
--     which concerns several, lists them (therapist_ids);
--   * dates are TEXT, ISO 8601 (2026-03-02); instants TEXT, ISO 8601 in UTC with its offset
--     (2026-03-02T14:05:00+00:00); the date of service is the clinic's local date;
--   * money is INTEGER cents (3461 is $34.61), exactly the amount the CSV exports write;
--     NULL when there is no fee data;
--   * minutes, units and seconds are INTEGER; yes/no is INTEGER 0 or 1;
--   * text Tabletime keeps blank when unset (a therapist without an NPI) is '' (never NULL);
--     NULL means "none" where Tabletime has none (an open session's close, an untimed line's
--     minutes, in person instead of telehealth);
--   * a list (a clinic check's therapists and sessions) is a JSON array in TEXT.

-- Which archives were merged (one row each, left out ones too), when, and over which range.
CREATE TABLE meta (
    archive TEXT NOT NULL,              -- the archive's path, as resolved when merged
    manifest_sha256 TEXT NOT NULL,      -- checksum of its manifest.json (lists every file's)
    created TEXT NOT NULL,              -- when `tabletime backup` wrote it (manifest, UTC)
    therapist_id INTEGER NOT NULL,
    merged INTEGER NOT NULL CHECK (merged IN (0, 1)),  -- 0: an older backup of the therapist
    merged_at TEXT NOT NULL,            -- when this file was built (UTC)
    range_from TEXT,                    -- --from (NULL: from the first day)
    range_to TEXT,                      -- --to (NULL: to the last day)
    schema_version INTEGER NOT NULL,
    tabletime_version TEXT NOT NULL
);

-- One row per therapist, from each archive's settings.toml.
CREATE TABLE therapists (
    therapist_id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,      -- 'npi 1234567893', else name, credentials, discipline
    name TEXT NOT NULL,
    credentials TEXT NOT NULL,
    discipline TEXT NOT NULL,           -- PT, OT or SLP
    role TEXT NOT NULL,                 -- therapist or assistant
    npi TEXT NOT NULL,
    provider_code TEXT NOT NULL,        -- the therapist's code in the practice system
    billing_entity TEXT NOT NULL,
    timezone TEXT NOT NULL,             -- IANA zone the dates of service are local to
    settings TEXT NOT NULL              -- the archive's settings.toml (codes, payers, fees)
);

-- Every session of the range (open ones too: closed_at NULL), as its day file holds it.
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,        -- Tabletime's UUID
    therapist_id INTEGER NOT NULL REFERENCES therapists (therapist_id),
    date_of_service TEXT NOT NULL,
    patient TEXT NOT NULL,
    payer TEXT NOT NULL,
    method TEXT NOT NULL,               -- cms (8-minute rule on the total) or per-code
    medicare INTEGER NOT NULL CHECK (medicare IN (0, 1)),
    discipline TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    total_timed_minutes INTEGER,        -- the session's own billing at close (NULL: open)
    total_treatment_minutes INTEGER,
    timed_units INTEGER,
    progress_report INTEGER NOT NULL CHECK (progress_report IN (0, 1)),
    group_size INTEGER,
    place_of_service TEXT NOT NULL,     -- CMS place of service code (11 office)
    telehealth TEXT,                    -- video, audio, NULL: in person
    rendering_therapist TEXT NOT NULL,  -- name and credentials stamped when it opened
    rendering_npi TEXT NOT NULL,
    provider_code TEXT NOT NULL,
    record TEXT NOT NULL                -- the whole session as Tabletime keeps it (JSON):
                                        -- what `clinic summary` bills again
);

-- Every segment (a stretch of time on one code) of those sessions.
CREATE TABLE segments (
    segment_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (session_id),
    therapist_id INTEGER NOT NULL REFERENCES therapists (therapist_id),
    code TEXT NOT NULL,
    timed INTEGER NOT NULL CHECK (timed IN (0, 1)),  -- in the therapist's catalog
    started_at TEXT NOT NULL,
    ended_at TEXT,                      -- NULL: a timer still running
    seconds INTEGER,                    -- NULL: still running
    furnished_by TEXT NOT NULL,         -- therapist or assistant
    note TEXT NOT NULL
);

-- The claim lines of the closed sessions, billed per therapist and date exactly as
-- `tabletime export --kind lines` bills that therapist's folder (pooling, MPPR, KX on the
-- therapist's own year so far); one row per patient, date, discipline, payer, code and
-- modifier set.
CREATE TABLE claim_lines (
    line_id INTEGER PRIMARY KEY,
    therapist_id INTEGER NOT NULL REFERENCES therapists (therapist_id),
    date_of_service TEXT NOT NULL,
    patient TEXT NOT NULL,
    payer TEXT NOT NULL,
    method TEXT NOT NULL,
    medicare INTEGER NOT NULL CHECK (medicare IN (0, 1)),
    discipline TEXT NOT NULL,
    code TEXT NOT NULL,
    modifiers TEXT NOT NULL,            -- in claim order, space separated: 'GP KX'
    units INTEGER NOT NULL,
    minutes INTEGER,                    -- NULL: an untimed code
    estimated_cents INTEGER,            -- the estimated payment (85% on a CQ/CO line)
    allowed_cents INTEGER,              -- the allowed amount after MPPR: what KX counts
    charge_cents INTEGER,               -- what the practice charges (the charge file's)
    place_of_service TEXT NOT NULL,
    telehealth TEXT,
    rendering_therapist TEXT NOT NULL,
    rendering_npi TEXT NOT NULL,
    provider_code TEXT NOT NULL
);

-- The Medicare year so far (KX) of each therapist's patients before the first merged day of
-- each year of the range: the allowed amounts of their own closed sessions of that year
-- before it (0 when the range starts the year), and what they entered as used at other
-- providers that year (two therapists may both have entered the same eligibility figure).
CREATE TABLE year_before (
    therapist_id INTEGER NOT NULL REFERENCES therapists (therapist_id),
    patient TEXT NOT NULL,
    bucket TEXT NOT NULL,               -- PT+SLP or OT
    before_date TEXT NOT NULL,          -- the first merged day of that year
    billed_cents INTEGER NOT NULL,
    elsewhere_cents INTEGER NOT NULL,
    PRIMARY KEY (therapist_id, patient, bucket, before_date)
);

-- What the clinic checks (core.clinic) find across therapists, each naming its source; one
-- row per check, patient and date (KX: each date with a line lacking it past the threshold).
CREATE TABLE clinic_checks (
    check_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                 -- co-treatment, duplicate-line, clock-time, pooling, kx
    date_of_service TEXT NOT NULL,
    patient TEXT NOT NULL,
    therapist_ids TEXT NOT NULL,        -- JSON array of therapist_id: [1, 2]
    session_ids TEXT NOT NULL,          -- JSON array of session_id
    message TEXT NOT NULL,
    source TEXT NOT NULL                -- the rule's source (CMS manual, billing-spec ...)
);

-- What a biller asks of the file: a date, a range, a patient's date. (The merge creates
-- these once the rows are in: faster than keeping them up to date row by row.)
CREATE INDEX sessions_by_date ON sessions (date_of_service, therapist_id);
CREATE INDEX sessions_by_patient ON sessions (patient, date_of_service);
CREATE INDEX segments_by_session ON segments (session_id);
CREATE INDEX claim_lines_by_date ON claim_lines (date_of_service, therapist_id);
CREATE INDEX claim_lines_by_patient ON claim_lines (patient, date_of_service);
CREATE INDEX clinic_checks_by_date ON clinic_checks (date_of_service);
CREATE INDEX clinic_checks_by_patient ON clinic_checks (patient, date_of_service);
