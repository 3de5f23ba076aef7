-- 政策评估: an evaluation of a policy version, recorded by a policy administrator with the
-- figures it was made on (粤府令第277号: before a policy expires, it is evaluated).
CREATE TABLE policy_evaluations (
    id          BIGSERIAL PRIMARY KEY,
    policy_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    staff_id    BIGINT NOT NULL REFERENCES staff (id),
    conclusion  TEXT NOT NULL CHECK (conclusion IN ('continue', 'revise', 'retire')),
    findings    TEXT NOT NULL,
    -- The figures shown when it was recorded (JSON).
    figures     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX policy_evaluations_policy ON policy_evaluations (policy_id, version);
