-- When the lease reaper last ran on any replica (issue 16, chaos run (a)): a pass that finds a gap
-- longer than an outage threshold knows no replica watched the leases meanwhile (every control
-- plane down, or the database), so agents could not heartbeat either; it shifts the leases of
-- leased and running jobs by that gap before judging any agent silent.
CREATE TABLE reaper_clock (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_pass_at  timestamptz NOT NULL
);
INSERT INTO reaper_clock (id, last_pass_at) VALUES (true, now());
