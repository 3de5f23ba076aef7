-- 政策找人: policy categories a person follows, to be told when a new policy in one is published.
CREATE TABLE policy_follows (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    category   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, category)
);
CREATE INDEX policy_follows_category ON policy_follows (category);

-- The policies this service has announced (published, seen once): a policy is announced once.
CREATE TABLE policy_announcements (
    policy_id    TEXT PRIMARY KEY NOT NULL,
    announced_at TEXT NOT NULL
);

-- What followers are told of a new policy: in the app (我的), and by SMS or WeChat through the
-- outbox (the channels of the group new_policies).
CREATE TABLE policy_notices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           BIGINT NOT NULL REFERENCES users (id),
    policy_id         TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    read_at           TEXT,
    delivered_at      TEXT,
    delivery_attempts BIGINT NOT NULL DEFAULT 0,
    next_delivery_at  TEXT,
    delivery_error    TEXT
);
CREATE INDEX policy_notices_user ON policy_notices (user_id, id);
CREATE INDEX policy_notices_undelivered ON policy_notices (delivered_at, next_delivery_at);
