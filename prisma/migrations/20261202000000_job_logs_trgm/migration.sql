-- Log search across jobs (issue 16): a pg_trgm GIN index on each line's
-- visible text (the data without its ANSI CSI escape sequences), which serves
-- the search's `~` (src/search/log-search.repository.ts, VISIBLE_DATA: the
-- same expression, so the planner uses this index). An extension and an
-- index only: no table changes. pg_trgm is a trusted extension (PostgreSQL
-- 13+), so a database owner may create it; it ships with PostgreSQL 15 and
-- with embedded-postgres's binaries.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS idx_job_logs_visible_data_trgm ON job_logs
  USING gin ((regexp_replace(data, '\x1b\[[0-?]*[ -/]*[@-~]', '', 'g')) gin_trgm_ops);
