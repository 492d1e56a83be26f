-- Base tables (superuser only) and the two views the pulse_reader role may read.
-- Runs after source-staging.sql and the \copy of the three CSV files, in the same transaction.
CREATE SCHEMA nycflights13;
REVOKE ALL ON SCHEMA nycflights13 FROM PUBLIC;

-- One row per flight. flight_id is the 1-based line in flights.csv, so it is stable across loads.
-- scheduled_at: the scheduled departure (year, month, day, sched_dep_time are New York local time).
CREATE TABLE nycflights13.flights (
    flight_id      bigint PRIMARY KEY,
    scheduled_at   timestamptz NOT NULL,
    year           integer NOT NULL,
    month          integer NOT NULL,
    day            integer NOT NULL,
    day_of_week    integer NOT NULL,       -- 0 = Sunday … 6 = Saturday, of the local date
    dep_time       integer,
    sched_dep_time integer NOT NULL,
    dep_delay      integer,
    arr_time       integer,
    sched_arr_time integer,
    arr_delay      integer,
    carrier        text NOT NULL,
    flight         integer,
    tailnum        text,
    origin         text NOT NULL,
    dest           text NOT NULL,
    air_time       integer,
    distance       integer,
    hour           integer NOT NULL,
    minute         integer NOT NULL,
    time_hour      timestamptz NOT NULL    -- the scheduled hour in UTC: the join key to weather
);

INSERT INTO nycflights13.flights
SELECT line,
       make_timestamptz(year, month, day, sched_dep_time / 100, sched_dep_time % 100, 0, 'America/New_York'),
       year, month, day,
       extract(dow FROM make_date(year, month, day))::integer,
       dep_time, sched_dep_time, dep_delay, arr_time, sched_arr_time, arr_delay, carrier, flight, tailnum,
       origin, dest, air_time, distance, hour, minute, time_hour
FROM flights_csv
ORDER BY line;

-- The extraction cursor: ORDER BY scheduled_at, flight_id with a range on scheduled_at.
CREATE INDEX flights_scheduled_at_flight_id ON nycflights13.flights (scheduled_at, flight_id);

-- At most one weather row per origin and hour: the first in file order wins.
CREATE TABLE nycflights13.weather (
    origin     text NOT NULL,
    time_hour  timestamptz NOT NULL,
    year       integer,
    month      integer,
    day        integer,
    hour       integer,
    temp       double precision,
    dewp       double precision,
    humid      double precision,
    wind_dir   integer,
    wind_speed double precision,
    wind_gust  double precision,
    precip     double precision,
    pressure   double precision,
    visib      double precision,
    PRIMARY KEY (origin, time_hour)
);

INSERT INTO nycflights13.weather
SELECT DISTINCT ON (origin, time_hour)
       origin, time_hour, year, month, day, hour, temp, dewp, humid, wind_dir, wind_speed, wind_gust, precip,
       pressure, visib
FROM weather_csv
ORDER BY origin, time_hour, line;

CREATE TABLE nycflights13.planes (
    tailnum      text PRIMARY KEY,
    year         integer,
    type         text,
    manufacturer text,
    model        text,
    engines      integer,
    seats        integer,
    speed        integer,
    engine       text
);

INSERT INTO nycflights13.planes SELECT * FROM planes_csv;

CREATE SCHEMA pulse_views;
COMMENT ON SCHEMA pulse_views IS :'load_version';

-- Features known before departure. Left joins on primary keys: exactly one row per flight.
CREATE VIEW pulse_views.flight_features AS
SELECT f.flight_id,
       f.scheduled_at,
       f.month,
       f.day_of_week,
       f.hour AS dep_hour,
       f.carrier,
       f.origin,
       f.dest,
       f.distance,
       w.temp,
       w.dewp,
       w.humid,
       w.wind_dir,
       w.wind_speed,
       w.wind_gust,
       w.precip,
       w.pressure,
       w.visib,
       p.year AS plane_year,
       p.seats,
       p.engines,
       p.type AS plane_type
FROM nycflights13.flights f
LEFT JOIN nycflights13.weather w ON w.origin = f.origin AND w.time_hour = f.time_hour
LEFT JOIN nycflights13.planes p ON p.tailnum = f.tailnum;

-- The label: flights that arrived (cancelled and diverted flights have no arrival delay).
CREATE VIEW pulse_views.flight_labels AS
SELECT f.flight_id,
       f.scheduled_at,
       f.arr_delay,
       f.arr_delay > 15 AS is_late
FROM nycflights13.flights f
WHERE f.arr_delay IS NOT NULL;
