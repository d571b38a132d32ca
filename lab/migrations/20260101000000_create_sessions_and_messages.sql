-- One row per login. Only a SHA-256 hash of the token is kept: a leaked
-- database does not leak anybody's session.
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    username    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,  -- Unix seconds
    expires_at  INTEGER NOT NULL   -- Unix seconds
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Chat messages; `author` is always the username of the session that sent it.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    room        TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL   -- Unix seconds
);

CREATE INDEX messages_room_id ON messages (room, id);
