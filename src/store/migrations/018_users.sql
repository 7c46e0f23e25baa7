-- People who sign in to the console (人员). One role each, from the permission table (src/api/auth.ts),
-- and optional shop limits: the same rules as API tokens, which integrations keep using.
CREATE TABLE users (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Sign-in name, stored lower-case so "Li.Lei" and "li.lei" are one person.
  login            text NOT NULL UNIQUE CHECK (login = lower(login)),
  name             text NOT NULL,
  -- scrypt, self-describing ("scrypt$N$r$p$salt$hash"), so the cost can rise without a migration.
  password_hash    text NOT NULL,
  role             text NOT NULL,
  -- null: every shop.
  shops            text[],
  -- On duty (在岗): takes automatically assigned cases.
  on_duty          boolean NOT NULL DEFAULT true,
  language         text,
  -- Failed sign-ins in a row, and until when the account refuses sign-in after too many.
  failed_sign_ins  integer NOT NULL DEFAULT 0,
  locked_until     timestamptz,
  last_sign_in_at  timestamptz,
  disabled_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Console sessions, behind an HttpOnly cookie. The id is stored hashed: a copy of this table signs no one in.
CREATE TABLE user_sessions (
  id_hash     text PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  data        jsonb NOT NULL DEFAULT '{}',
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expiry_idx ON user_sessions (expires_at);
