-- How each person wants to be told outside the app, per group of messages (actions, grants,
-- licences, objections): by SMS, by WeChat. No row: both. The app's inbox always shows all.
CREATE TABLE notification_channels (
    user_id BIGINT NOT NULL REFERENCES users (id),
    grp     TEXT NOT NULL,
    sms     BIGINT NOT NULL,
    wechat  BIGINT NOT NULL,
    PRIMARY KEY (user_id, grp)
);
