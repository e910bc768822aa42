"""Numbered schema migrations, applied in order and tracked in ``PRAGMA user_version``.

Never edit a migration that has shipped: append a new one. A database made by an
older paperbot upgrades on start by running the migrations it has not seen.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: papers, topics, chats, subscriptions, digests and deliveries.
    """
    CREATE TABLE papers (
        id TEXT PRIMARY KEY,              -- arXiv id without version
        version INTEGER NOT NULL,         -- latest version seen
        title TEXT NOT NULL,
        authors TEXT NOT NULL,            -- JSON list
        abstract TEXT NOT NULL,
        comment TEXT,
        categories TEXT NOT NULL,         -- JSON list
        primary_category TEXT,
        published TEXT,
        updated TEXT,
        license TEXT,
        fetched_at TEXT NOT NULL
    );
    CREATE TABLE announcements (
        day TEXT NOT NULL,                -- announcement day, YYYY-MM-DD
        paper_id TEXT NOT NULL REFERENCES papers(id),
        announce_type TEXT NOT NULL,
        PRIMARY KEY (day, paper_id)
    );
    CREATE TABLE fetches (
        day TEXT NOT NULL,
        categories TEXT NOT NULL,         -- '+'-joined, sorted
        no_announcement INTEGER NOT NULL DEFAULT 0,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (day, categories)
    );
    CREATE TABLE topics (
        name TEXT NOT NULL,
        owner TEXT NOT NULL DEFAULT '',   -- '' for shared topics, else 'platform:chat_id'
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        categories TEXT NOT NULL,         -- JSON list
        expression TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (name, owner)
    );
    CREATE TABLE chats (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'private',
        title TEXT,
        language TEXT,                    -- NULL: the bot's default
        timezone TEXT,                    -- NULL: the bot's default
        max_papers INTEGER,               -- NULL: the bot's default
        figures INTEGER NOT NULL DEFAULT 0,
        paused_reason TEXT,
        paused_at TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT,
        topic TEXT NOT NULL,
        at_time TEXT NOT NULL,            -- HH:MM local time
        timezone TEXT NOT NULL,
        weekdays TEXT NOT NULL,           -- e.g. 'tue,wed,thu,fri,sat' (mornings after announcements)
        created_by TEXT,
        created_at TEXT NOT NULL,
        paused_reason TEXT,
        paused_at TEXT,
        last_sent_day TEXT,               -- last digest day delivered completely
        UNIQUE (platform, chat_id, topic),
        FOREIGN KEY (platform, chat_id) REFERENCES chats(platform, chat_id)
    );
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,             -- 'sub:<id>' or 'user:<platform>:<user_id>'
        day TEXT NOT NULL,                -- the announcement day this digest covers
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        status TEXT NOT NULL,             -- planned | sent | skipped
        parts_total INTEGER,
        planned_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (target, day)
    );
    CREATE TABLE deliveries (
        digest_id INTEGER NOT NULL REFERENCES digests(id),
        paper_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (digest_id, paper_id)
    );
    CREATE TABLE sent_messages (
        digest_id INTEGER NOT NULL REFERENCES digests(id),
        part INTEGER NOT NULL,
        message_ids TEXT NOT NULL,        -- JSON list of platform message ids
        sent_at TEXT NOT NULL,
        PRIMARY KEY (digest_id, part)
    );
    CREATE INDEX subscriptions_by_chat ON subscriptions(platform, chat_id);
    CREATE INDEX announcements_by_paper ON announcements(paper_id);
    """,
    # 2: summaries and their cost, per-user filters and personal digests.
    """
    CREATE TABLE summaries (
        paper_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        language TEXT NOT NULL,
        kind TEXT NOT NULL,               -- brief | full
        model TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        content TEXT NOT NULL,            -- validated JSON of the schema
        source TEXT NOT NULL,             -- pdf | abstract
        note TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (paper_id, version, language, kind, model, prompt_version)
    );
    CREATE TABLE llm_calls (
        id INTEGER PRIMARY KEY,
        paper_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        language TEXT NOT NULL,
        model TEXT NOT NULL,
        tokens_in INTEGER,
        tokens_out INTEGER,
        latency_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,            -- ok | retried | fallback | error
        error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX llm_calls_by_day ON llm_calls(created_at);
    CREATE TABLE user_filters (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,               -- include | mute
        value TEXT NOT NULL,              -- topic name or keyword expression
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, user_id, kind, value)
    );
    CREATE TABLE user_digests (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        dm_chat_id TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        at_time TEXT NOT NULL,
        timezone TEXT NOT NULL,
        weekdays TEXT NOT NULL,
        language TEXT,
        paused_reason TEXT,
        paused_at TEXT,
        last_sent_day TEXT,
        PRIMARY KEY (platform, user_id)
    );
    """,
    # 3: small key/value facts about this installation (e.g. the Discord command hash last synced).
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 4: subscription ids are never reused (digests are keyed by 'sub:<id>', so a reused id
    #    would inherit another chat's delivery record); a plan stores the exact summaries it
    #    sends, so a resumed digest renders the same messages; topics are looked up by owner.
    """
    CREATE TABLE subscriptions_v4 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT,
        topic TEXT NOT NULL,
        at_time TEXT NOT NULL,
        timezone TEXT NOT NULL,
        weekdays TEXT NOT NULL,
        created_by TEXT,
        created_at TEXT NOT NULL,
        paused_reason TEXT,
        paused_at TEXT,
        last_sent_day TEXT,
        UNIQUE (platform, chat_id, topic),
        FOREIGN KEY (platform, chat_id) REFERENCES chats(platform, chat_id)
    );
    INSERT INTO subscriptions_v4 SELECT * FROM subscriptions;
    DROP TABLE subscriptions;
    ALTER TABLE subscriptions_v4 RENAME TO subscriptions;
    CREATE INDEX subscriptions_by_chat ON subscriptions(platform, chat_id);
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'subscriptions', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'subscriptions');
    UPDATE sqlite_sequence SET seq = MAX(seq,
        COALESCE((SELECT MAX(id) FROM subscriptions), 0),
        COALESCE((SELECT MAX(CAST(substr(target, 5) AS INTEGER)) FROM digests WHERE target LIKE 'sub:%'), 0))
        WHERE name = 'subscriptions';
    ALTER TABLE deliveries ADD COLUMN summary TEXT;    -- JSON of the SummaryResult shown
    ALTER TABLE digests ADD COLUMN language TEXT;
    ALTER TABLE digests ADD COLUMN more INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX topics_by_owner ON topics(owner);
    CREATE INDEX user_filters_by_value ON user_filters(value);
    """,
    # 5: daily model-call quotas per person and per chat; who defined a topic (for the per-person cap).
    """
    CREATE TABLE quota_usage (
        day TEXT NOT NULL,                -- UTC day, YYYY-MM-DD
        holder TEXT NOT NULL,             -- 'user:<platform>:<id>' or 'chat:<platform>:<id>'
        calls INTEGER NOT NULL DEFAULT 0, -- model calls reserved or made today
        PRIMARY KEY (day, holder)
    );
    ALTER TABLE topics ADD COLUMN created_by TEXT;
    CREATE INDEX topics_by_creator ON topics(created_by);
    CREATE INDEX subscriptions_by_creator ON subscriptions(created_by);
    """,
    # 6: summaries a model failed to write (answers rejected or blocked), so a paper whose
    #    output is always rejected costs its two model calls once per few hours, not per request.
    """
    CREATE TABLE summary_failures (
        paper_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        language TEXT NOT NULL,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        reason TEXT NOT NULL,             -- rejected | blocked
        until TEXT NOT NULL,              -- UTC; the model is asked again after this
        created_at TEXT NOT NULL,
        PRIMARY KEY (paper_id, version, language, kind, model, prompt_version)
    );
    """,
    # 7: 👍/👎 per audience (what a chat or one person's digest learns from), one vote per member
    #    per paper; authors an audience follows.
    """
    CREATE TABLE feedback (
        audience TEXT NOT NULL,           -- 'chat:<platform>:<chat_id>' or 'user:<platform>:<user_id>'
        paper_id TEXT NOT NULL,
        user TEXT NOT NULL,               -- '<platform>:<user_id>' of who voted
        value INTEGER NOT NULL,           -- 1: liked, 0: disliked
        at TEXT NOT NULL,
        PRIMARY KEY (audience, paper_id, user)
    );
    CREATE TABLE followed_authors (
        audience TEXT NOT NULL,
        name TEXT NOT NULL,               -- as typed
        key TEXT NOT NULL,                -- accent- and case-insensitive form, what is matched
        created_by TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (audience, key)
    );
    """,
    # 8: dense embeddings of papers (title and abstract), computed once per paper and model and
    #    shared by every audience, like summaries.
    """
    CREATE TABLE paper_embeddings (
        paper_id TEXT NOT NULL,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,             -- float32, little-endian
        at TEXT NOT NULL,
        PRIMARY KEY (paper_id, model)
    );
    """,
    # 9: each planned paper's one-line reason ("matched: ...", "close to ...") as rendered, so a
    #    digest resumed after a crash shows the same reasons as /digest would have.
    """
    ALTER TABLE deliveries ADD COLUMN reason TEXT;
    """,
    # 10: which conversation about a paper a platform message or thread continues (bot.ports.ThreadRef).
    """
    CREATE TABLE thread_links (
        chat TEXT NOT NULL,               -- '<platform>:<chat_id>'
        key TEXT NOT NULL,                -- a platform message id, or a Discord thread's channel id
        paper_id TEXT NOT NULL,
        thread TEXT NOT NULL,             -- the conversation key
        at TEXT NOT NULL,
        PRIMARY KEY (chat, key)
    );
    """,
    # 11: answers to questions about a paper (/ask), cached like summaries, and each conversation's
    #     turns (the context a follow-up gives the model, and what `paperbot stats` counts per /ask).
    """
    CREATE TABLE answers (
        paper_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        question TEXT NOT NULL,           -- normalised: NFKC, case-folded, spaces and end punctuation squashed
        context TEXT NOT NULL,            -- '' for a new question; a digest of the earlier turns for a follow-up
        language TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        text TEXT NOT NULL,               -- validated, stripped of links, mentions and markup
        sources TEXT NOT NULL,            -- JSON list of section/page labels
        says INTEGER NOT NULL,            -- 0: the paper does not say
        created_at TEXT NOT NULL,
        PRIMARY KEY (paper_id, version, question, context, language, model, prompt_version)
    );
    CREATE TABLE ask_turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        thread TEXT NOT NULL,             -- the conversation key (bot.ports.ThreadRef.thread)
        paper_id TEXT NOT NULL,
        chat TEXT NOT NULL,
        user TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        calls INTEGER NOT NULL,           -- model requests this answer cost (0: cached)
        tokens_in INTEGER,
        tokens_out INTEGER,
        at TEXT NOT NULL
    );
    CREATE INDEX ask_turns_by_thread ON ask_turns (thread, id);
    """,
    # 12: a chat's "also relevant" switch: a few papers its votes rank high that miss the keywords.
    """
    ALTER TABLE chats ADD COLUMN also_relevant INTEGER NOT NULL DEFAULT 0;
    """,
    # 13: a chat's reading list (/save, the 🔖 button), who saved each paper, and the optional
    #     weekly "group picks" message. Chats are '<platform>:<chat_id>'; users '<platform>:<user_id>'.
    """
    CREATE TABLE reading_list (
        chat TEXT NOT NULL,
        paper_id TEXT NOT NULL,           -- without version
        saved_at TEXT NOT NULL,           -- the first save
        done_at TEXT,                     -- /read: NULL while unread
        done_by TEXT,
        PRIMARY KEY (chat, paper_id)
    );
    CREATE TABLE reading_saves (
        chat TEXT NOT NULL,
        paper_id TEXT NOT NULL,
        user TEXT NOT NULL,
        user_name TEXT,                   -- as the platform showed it when they saved
        at TEXT NOT NULL,
        PRIMARY KEY (chat, paper_id, user)
    );
    CREATE INDEX reading_saves_at ON reading_saves (chat, at);
    CREATE TABLE group_picks (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        thread_id TEXT,                   -- a forum topic: the picks go where /picks was sent
        weekday INTEGER NOT NULL,         -- 0 = Monday
        at_time TEXT NOT NULL,            -- HH:MM, local to timezone
        timezone TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    """,
    # 14: what a ranking model depends on, in the database so every process sees it: a revision
    #     per audience that triggers bump on any change to its votes or followed authors (a
    #     `paperbot like` in another process included), and each audience's trained model per
    #     topic, so a restart does not retrain every voting chat in its first fan-out. (Not
    #     INSERT OR IGNORE in the triggers: the outer statement's conflict rule would override it.)
    """
    CREATE TABLE feedback_revisions (
        audience TEXT PRIMARY KEY,
        revision INTEGER NOT NULL
    );
    CREATE TRIGGER feedback_added AFTER INSERT ON feedback BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT NEW.audience, 0
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions WHERE audience = NEW.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience = NEW.audience;
    END;
    CREATE TRIGGER feedback_changed AFTER UPDATE ON feedback BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT NEW.audience, 0
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions WHERE audience = NEW.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience IN (NEW.audience, OLD.audience);
    END;
    CREATE TRIGGER feedback_removed AFTER DELETE ON feedback BEGIN
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience = OLD.audience;
    END;
    CREATE TRIGGER followed_added AFTER INSERT ON followed_authors BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT NEW.audience, 0
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions WHERE audience = NEW.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience = NEW.audience;
    END;
    CREATE TRIGGER followed_removed AFTER DELETE ON followed_authors BEGIN
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience = OLD.audience;
    END;
    CREATE TABLE ranking_models (
        audience TEXT NOT NULL,
        topic TEXT NOT NULL,              -- the topic's name; `definition` says which version of it
        definition TEXT NOT NULL,         -- digest of the topic's expression, categories, title, description
        taught TEXT NOT NULL,             -- digest of the (paper, vote) pairs it was trained on
        keys BLOB NOT NULL,               -- uint64 term keys, little-endian
        weights BLOB NOT NULL,            -- float32, little-endian, one per key
        words TEXT NOT NULL,              -- JSON [[term, weight], ...]: the strongest, for /prefs
        at TEXT NOT NULL,
        PRIMARY KEY (audience, topic)
    );
    """,
    # 15: migration 14's triggers only bumped an existing revision when a vote or followed author
    #     was removed, and votes from before 14 have none: taking one back, /reset or unfollowing
    #     left the revision (and the running bot's cached profile) unchanged. Every audience with
    #     votes or follows gets its revision, and every trigger creates one if missing. A moved
    #     followed author (a group migrated to a supergroup) now bumps both audiences too.
    """
    INSERT OR IGNORE INTO feedback_revisions (audience, revision)
        SELECT audience, 1 FROM feedback UNION SELECT audience, 1 FROM followed_authors;
    DROP TRIGGER feedback_changed;
    DROP TRIGGER feedback_removed;
    DROP TRIGGER followed_removed;
    CREATE TRIGGER feedback_changed AFTER UPDATE ON feedback BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT audience, 0 FROM (
            SELECT NEW.audience AS audience UNION SELECT OLD.audience) AS changed
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions r WHERE r.audience = changed.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience IN (NEW.audience, OLD.audience);
    END;
    CREATE TRIGGER feedback_removed AFTER DELETE ON feedback BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT OLD.audience, 0
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions WHERE audience = OLD.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience = OLD.audience;
    END;
    CREATE TRIGGER followed_removed AFTER DELETE ON followed_authors BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT OLD.audience, 0
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions WHERE audience = OLD.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience = OLD.audience;
    END;
    CREATE TRIGGER followed_changed AFTER UPDATE ON followed_authors BEGIN
        INSERT INTO feedback_revisions (audience, revision) SELECT audience, 0 FROM (
            SELECT NEW.audience AS audience UNION SELECT OLD.audience) AS changed
            WHERE NOT EXISTS (SELECT 1 FROM feedback_revisions r WHERE r.audience = changed.audience);
        UPDATE feedback_revisions SET revision = revision + 1 WHERE audience IN (NEW.audience, OLD.audience);
    END;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
