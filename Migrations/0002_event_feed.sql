-- The live event feed (GET /v1/events/stream): every statement that adds events announces it
-- on the 'events_added' channel (delivered at COMMIT, so listeners only ever see committed rows),
-- and readers catch up by id, which needs an index of its own on the partitioned table.
CREATE INDEX events_id ON events (id);

CREATE FUNCTION notify_events_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('events_added', '');
    RETURN NULL;
END $$;

CREATE TRIGGER events_added AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_added();
