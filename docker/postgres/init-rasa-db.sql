-- Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
-- Rasa's SQL tracker store gets its own database on the same server, so its `events` table
-- never mixes with the app's tables (the app database is POSTGRES_DB, "calmdesk").
CREATE DATABASE rasa;
