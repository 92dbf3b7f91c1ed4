-- Palisade's schema: everything the design names, with the keys, constraints and indexes that
-- the API's filters and keyset pagination need. Applied once, in one transaction, by
-- MigrationRunner. Never edit after release: add 0002_… instead.

-- Identity and access ---------------------------------------------------------------------------

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE sessions (
    id            bigserial PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    source        text
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
    secret_hash   bytea NOT NULL UNIQUE,
    created_by    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    actor_role    text,
    source        text,
    method        text NOT NULL,
    path          text NOT NULL,
    resource      text,
    outcome       text NOT NULL,
    status        integer NOT NULL,
    detail        jsonb
);
CREATE INDEX audit_log_time ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, occurred_at DESC);

-- Policy ----------------------------------------------------------------------------------------

-- Bumped by every policy change; enforcers compare revisions to know what is current.
CREATE TABLE policy_revision (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision      bigint NOT NULL DEFAULT 1,
    changed_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO policy_revision DEFAULT VALUES;

CREATE TABLE groups (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._:-]{1,128}$'),
    criteria      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(criteria) = 'array'),
    policy_mode   text NOT NULL DEFAULT 'discover' CHECK (policy_mode IN ('discover', 'monitor', 'protect')),
    learned       boolean NOT NULL DEFAULT false,
    comment       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE network_rules (
    id            bigserial PRIMARY KEY,
    position      double precision NOT NULL,
    from_group    text NOT NULL REFERENCES groups (name) ON UPDATE CASCADE,
    to_group      text NOT NULL REFERENCES groups (name) ON UPDATE CASCADE,
    ports         text[] NOT NULL DEFAULT '{any}',
    applications  text[] NOT NULL DEFAULT '{}',
    action        text NOT NULL CHECK (action IN ('allow', 'deny')),
    learned       boolean NOT NULL DEFAULT false,
    enabled       boolean NOT NULL DEFAULT true,
    hits          bigint NOT NULL DEFAULT 0,
    last_hit_at   timestamptz,
    comment       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX network_rules_position ON network_rules (position);
CREATE INDEX network_rules_from ON network_rules (from_group);
CREATE INDEX network_rules_to ON network_rules (to_group);

CREATE TABLE process_profiles (
    id            bigserial PRIMARY KEY,
    group_name    text NOT NULL REFERENCES groups (name) ON UPDATE CASCADE ON DELETE CASCADE,
    name          text NOT NULL,
    path          text NOT NULL DEFAULT '',
    "user"        text NOT NULL DEFAULT '',
    action        text NOT NULL DEFAULT 'allow' CHECK (action IN ('allow', 'deny')),
    learned       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (group_name, name, path, "user")
);

CREATE TABLE response_rules (
    id            bigserial PRIMARY KEY,
    position      double precision NOT NULL UNIQUE,
    event_kind    text NOT NULL,
    conditions    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(conditions) = 'array'),
    actions       text[] NOT NULL CHECK (actions <@ ARRAY['quarantine', 'webhook', 'suppress']::text[]),
    enabled       boolean NOT NULL DEFAULT true,
    comment       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Inventory -------------------------------------------------------------------------------------

CREATE TABLE hosts (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    facts         jsonb NOT NULL DEFAULT '{}',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enforcer_join_tokens (
    id            uuid PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    max_uses      integer NOT NULL CHECK (max_uses > 0),
    uses          integer NOT NULL DEFAULT 0 CHECK (uses <= max_uses),
    revoked_at    timestamptz
);

CREATE TABLE enforcers (
    id                   uuid PRIMARY KEY,
    host_id              text REFERENCES hosts (id) ON DELETE SET NULL,
    hostname             text NOT NULL,
    version              text,
    certificate_serial   text NOT NULL UNIQUE,
    certificate_sha256   text NOT NULL UNIQUE,
    certificate_expires  timestamptz NOT NULL,
    joined_with          uuid REFERENCES enforcer_join_tokens (id) ON DELETE SET NULL,
    applied_revision     bigint NOT NULL DEFAULT 0,
    apply_error          text,
    enrolled_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at         timestamptz,
    revoked_at           timestamptz
);
CREATE INDEX enforcers_host ON enforcers (host_id);

-- Certificates an enforcer held before renewal: refused from the moment they are retired.
CREATE TABLE retired_certificates (
    serial        text PRIMARY KEY,
    enforcer_id   uuid NOT NULL REFERENCES enforcers (id) ON DELETE CASCADE,
    retired_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workloads (
    id            text PRIMARY KEY,
    host_id       text NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    enforcer_id   uuid REFERENCES enforcers (id) ON DELETE SET NULL,
    name          text NOT NULL,
    namespace     text NOT NULL DEFAULT '',
    labels        jsonb NOT NULL DEFAULT '{}',
    image         text NOT NULL DEFAULT '',
    addresses     inet[] NOT NULL DEFAULT '{}',
    service       text,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workloads_host ON workloads (host_id);
CREATE INDEX workloads_namespace ON workloads (namespace, name);
CREATE INDEX workloads_labels ON workloads USING gin (labels);

CREATE TABLE group_members (
    group_name    text NOT NULL REFERENCES groups (name) ON UPDATE CASCADE ON DELETE CASCADE,
    workload_id   text NOT NULL REFERENCES workloads (id) ON DELETE CASCADE,
    PRIMARY KEY (group_name, workload_id)
);
CREATE INDEX group_members_workload ON group_members (workload_id);

-- Observation -----------------------------------------------------------------------------------

-- Partitioned by day on occurred_at, so retention drops whole partitions.
CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    kind          text NOT NULL CHECK (kind IN ('network_violation', 'process', 'file', 'threat', 'connection', 'system')),
    severity      text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    enforcer_id   uuid,
    host_id       text,
    workload_id   text,
    group_name    text,
    peer          text,
    action        text,
    summary       text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (occurred_at, id)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX events_kind_severity ON events (kind, severity, occurred_at DESC);
CREATE INDEX events_time ON events (occurred_at DESC, id DESC);
CREATE INDEX events_workload ON events (workload_id, occurred_at DESC);
CREATE INDEX events_group ON events (group_name, occurred_at DESC);
CREATE INDEX events_host ON events (host_id, occurred_at DESC);

-- Creates the day partitions covering [from, to) that do not exist yet.
CREATE FUNCTION ensure_event_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date := from_day;
    created integer := 0;
    partition text;
BEGIN
    WHILE day < to_day LOOP
        partition := format('events_%s', to_char(day, 'YYYYMMDD'));
        IF to_regclass(partition) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           partition, day::timestamptz AT TIME ZONE 'UTC', (day + 1)::timestamptz AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
        day := day + 1;
    END LOOP;
    RETURN created;
END $$;

-- Drops day partitions that end before (today - keep_days); returns how many were dropped.
CREATE FUNCTION drop_old_event_partitions(keep_days integer, today date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    partition record;
    dropped integer := 0;
BEGIN
    FOR partition IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'events' AND c.relname ~ '^events_[0-9]{8}$'
          AND to_date(substring(c.relname FROM 8), 'YYYYMMDD') < today - keep_days
    LOOP
        EXECUTE format('DROP TABLE %I', partition.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;

-- Events older than any partition or further ahead than expected are not lost.
CREATE TABLE events_default PARTITION OF events DEFAULT;
SELECT ensure_event_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 8);

-- Learned topology: one row per (source, destination, port, protocol, application).
CREATE TABLE conversations (
    id            bigserial PRIMARY KEY,
    source_id     text NOT NULL,
    destination_id text NOT NULL,
    port          integer NOT NULL CHECK (port BETWEEN 0 AND 65535),
    protocol      text NOT NULL CHECK (protocol IN ('tcp', 'udp', 'icmp', 'any')),
    application   text NOT NULL DEFAULT '',
    bytes         bigint NOT NULL DEFAULT 0,
    sessions      bigint NOT NULL DEFAULT 0,
    last_action   text,
    last_rule_id  bigint,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, destination_id, port, protocol, application)
);
CREATE INDEX conversations_last_seen ON conversations (last_seen_at DESC);
CREATE INDEX conversations_destination ON conversations (destination_id);

-- Idempotency of enforcer reports: a repeated (enforcer, sequence) is acknowledged, not stored.
CREATE TABLE report_batches (
    enforcer_id   uuid NOT NULL,
    sequence      bigint NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    report_count  integer NOT NULL,
    PRIMARY KEY (enforcer_id, sequence)
);

-- Integrations ----------------------------------------------------------------------------------

CREATE TABLE webhooks (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    url           text NOT NULL,
    secret_hash   bytea,
    event_kinds   text[] NOT NULL DEFAULT '{}',
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Deliveries to do, claimed with FOR UPDATE SKIP LOCKED so any number of replicas can work.
CREATE TABLE integration_outbox (
    id            bigserial PRIMARY KEY,
    destination   text NOT NULL,
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz,
    last_error    text
);
CREATE INDEX integration_outbox_due ON integration_outbox (next_attempt_at) WHERE delivered_at IS NULL;

-- Idempotency-Key on API POSTs: the first response is replayed for repeats.
CREATE TABLE idempotency_keys (
    key           text NOT NULL,
    actor         text NOT NULL,
    request_hash  bytea NOT NULL,
    status        integer NOT NULL,
    response      bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
