-- WeChat identities bound to phone-verified accounts (the first WeChat login binds them).
CREATE TABLE wechat_bindings (
    openid     TEXT PRIMARY KEY NOT NULL,
    unionid    TEXT,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX wechat_bindings_user ON wechat_bindings (user_id);

-- One-time proofs of a WeChat identity: tickets a mini-program hands to its web-view, and
-- pending bindings waiting for the person to verify their phone. Stored as hashes.
CREATE TABLE wechat_tokens (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    purpose    TEXT NOT NULL CHECK (purpose IN ('ticket', 'binding')),
    openid     TEXT NOT NULL,
    unionid    TEXT,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
);
