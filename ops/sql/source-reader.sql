-- The read-only role (cluster-wide) and its grants in this database. Idempotent; run on every load.
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pulse_reader') AS create_reader \gset
\if :create_reader
CREATE ROLE pulse_reader LOGIN;
\endif
ALTER ROLE pulse_reader WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';
ALTER ROLE pulse_reader SET default_transaction_read_only = on;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA nycflights13 FROM pulse_reader;
REVOKE ALL ON ALL TABLES IN SCHEMA nycflights13 FROM pulse_reader;
GRANT USAGE ON SCHEMA pulse_views TO pulse_reader;
REVOKE ALL ON ALL TABLES IN SCHEMA pulse_views FROM pulse_reader;
GRANT SELECT ON pulse_views.flight_features, pulse_views.flight_labels TO pulse_reader;
