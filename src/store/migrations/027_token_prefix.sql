-- The console's token list (issue 13): a token is told apart by the first characters of its secret,
-- shown after its secret is gone (the secret itself is kept only as a hash). Tokens made before have none.
ALTER TABLE api_tokens ADD COLUMN prefix text;
