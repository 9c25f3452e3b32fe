-- The cache's own bookkeeping for a full resync from DynamoDB
-- (src/cache/cache-resync.ts): whether one is needed, how far a running one
-- got (so a killed run resumes), and when the stream consumer last was caught
-- up (a gap longer than the stream keeps records means a resync). Not a cache
-- of DynamoDB: one row per deployment, keyed by the DynamoDB jobs table's name
-- (two deployments may share a database, as the stream's lock allows).
CREATE TABLE cache_resync (
  deployment          TEXT PRIMARY KEY,
  status              TEXT NOT NULL CHECK (status IN ('needed', 'running', 'done')),
  reason              TEXT NOT NULL,
  since               TIMESTAMPTZ(6) NULL,
  cursor_started_at   TEXT NULL,
  cursor_job_id       TEXT NULL,
  jobs_done           INTEGER NOT NULL DEFAULT 0,
  lines_done          BIGINT NOT NULL DEFAULT 0,
  jobs_total          INTEGER NULL,
  started_at          TIMESTAMPTZ(6) NULL,
  finished_at         TIMESTAMPTZ(6) NULL,
  updated_at          TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  stream_caught_up_at TIMESTAMPTZ(6) NULL
);
