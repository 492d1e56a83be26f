/// Adds the probes every Pulse process serves:
/// `GET /livez` and `/healthz` → 200 "ok"; `GET /readyz` → 200 "ready" or 503 "not ready" from `isReady`;
/// `GET /metrics` → the registry in the Prometheus text format.
public func addHealthRoutes(to router: Router, metrics: MetricsRegistry, isReady: @escaping @Sendable () -> Bool) {
    let live: HTTPHandler = { _ in .text("ok\n") }
    router.add(.GET, "/livez", live)
    router.add(.GET, "/healthz", live)
    router.add(.GET, "/readyz") { _ in
        isReady() ? .text("ready\n") : .text("not ready\n", status: 503)
    }
    router.add(.GET, "/metrics") { _ in
        .text(metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
