"""The clinic's database: several therapists' backups merged into one SQLite file for the
clinic's biller (`tabletime clinic merge`; the tables are storage/clinic/schema.sql's).
`archives` reads and chooses the backups, `database` builds the file.

Each archive is verified exactly as `restore` verifies it before anything is built, then read
in memory: no therapist's data folder is opened at all. Each therapist is billed as `export
--kind lines` bills their own folder (an archive is a FolderReader), the year so far for KX
being their own. One backup per therapist: the same archive twice is refused, and of two
backups of one therapist (same NPI, else same name, credentials and discipline) the newer is
merged and the older left out, said; a session in two therapists' archives (a copied folder)
is refused. The database is built in a scratch file beside the target (its memory does not
grow with the clinic), then written as `export --out` writes a file: beside the target,
durable, renamed, 0600, never inside a data folder, never over a file without --force. A
re-merge builds it whole again.
"""
