import PulseMessaging

enum RuntimeTopology {
    /// The topology file, with the configured name prefix and retry-delay override applied.
    static func load(_ configuration: RuntimeConfiguration) throws -> Topology {
        var topology = try Topology.load(from: configuration.topologyFile)
        if !configuration.topologyPrefix.isEmpty { topology = topology.prefixed(configuration.topologyPrefix) }
        if let seconds = configuration.retryDelayOverrideSeconds { topology = topology.withRetryDelays(seconds: seconds) }
        return topology
    }
}
