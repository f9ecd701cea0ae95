-- small_db.sql — a small SQLite database for the transparency harness (issue 8): tables, a transaction, an index,
-- updates and deletes (journal files created and removed, fcntl locks, fsync), then a dump and an integrity check.
PRAGMA journal_mode = DELETE;
CREATE TABLE file (id INTEGER PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
INSERT INTO file (name, size) SELECT printf('/data/file-%04d.dat', i), i * 4096 FROM n;
COMMIT;
CREATE INDEX file_size ON file (size);
UPDATE file SET size = size + 1 WHERE id % 7 = 0;
DELETE FROM file WHERE id % 10 = 0;
SELECT count(*), sum(size) FROM file;
PRAGMA integrity_check;
.dump
