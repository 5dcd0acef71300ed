"""The clinic's database: several therapists' backups merged into one SQLite file for the
clinic's biller (`tabletime clinic merge`; the tables are storage/clinic/schema.sql's), and
read back for `clinic summary` and `clinic export`. `archives` reads and chooses the backups,
`database` builds the file, `reading` opens it read-only, `views` and `exports` are what the
biller's commands show and write.

Whose each archive is and when it was written comes from its manifest and settings; each is
then verified exactly as `restore` verifies it, in the same pass that reads it into memory:
no therapist's data folder is opened at all, and a damaged archive, left out or not, stops
the merge with restore's words before the file is placed. Each therapist is billed as `export
--kind lines` bills their own folder (an archive is a FolderReader), the year so far for KX
being their own; the clinic checks (core.clinic) then see them together. One backup per
therapist: the same archive twice is refused, and of two backups of one therapist (same NPI,
else same name, credentials and discipline) the newer is merged and the older left out,
said; a session in two therapists' archives (a copied folder) is refused. The database is
built in a temporary file beside the target, made durable, then put in its place as `export
--out` places a file: 0600, never inside a data folder, never over a file without --force. A
re-merge builds it whole again.
"""
