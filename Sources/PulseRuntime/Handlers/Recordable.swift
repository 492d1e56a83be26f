import PulseStorage

/// A result computed outside the transaction, with the events it causes and how to write it inside one, so a
/// handler can record several of them in one transaction (a monitor pass: drift, decision, run).
struct Recordable<View: Encodable, Recorded> {
    let view: View
    var events: [OutgoingEvent] = []
    let record: (PostgresConnection) throws -> Recorded
}
