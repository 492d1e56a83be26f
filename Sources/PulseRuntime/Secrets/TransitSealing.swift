import Foundation
import PulseContracts
import PulseStorage

/// Keeps datasource passwords off the broker: the gateway (and `pulse send`) seal a register request's
/// connection config before publishing; the extractor opens it, then re-seals it for storage under the
/// datasource's own associated data.
public enum TransitSealing {
    /// `envelope` with a register payload's clear `connection` replaced by `sealedConnection`; any other
    /// envelope is returned as it is.
    public static func sealingSecrets(of envelope: Envelope, with sealer: SecretSealer) throws -> Envelope {
        guard envelope.name == Operations.registerDataSource.rawValue else { return envelope }
        var request = try envelope.payload(as: Operations.registerDataSource)
        guard let connection = request.connection else { return envelope }
        request.sealedConnection = try sealer.seal(
            try JSONCodec.encode(connection), associatedData: RegisterDataSource.transitAssociatedData(tenant: envelope.tenantId)
        )
        request.connection = nil
        var sealed = envelope
        sealed.payload = try JSONValue.encode(request)
        return sealed
    }

    /// The connection config of a register request, opening `sealedConnection` when it came sealed.
    /// - Throws: a 422 `Problem` at `/payload/sealedConnection` when it cannot be opened (another key, another
    ///   tenant, or altered), or when what it holds is not a valid connection config.
    static func connection(of request: RegisterDataSource, tenant: String, sealer: SecretSealer) throws -> PostgresConnectionPayload {
        if let connection = request.connection { return connection }
        let pointer = "/payload/sealedConnection"
        guard let sealed = request.sealedConnection else { throw Problem.invalidField(pointer: "/payload/connection", detail: "is required") }
        let plain: Data
        do {
            plain = try sealer.open(sealed, associatedData: RegisterDataSource.transitAssociatedData(tenant: tenant))
        } catch {
            throw Problem.invalidField(
                pointer: pointer, detail: "cannot be opened with key '\(sealer.keyId)' for this tenant (sealed under another key or tenant, or altered)"
            )
        }
        let connection = try JSONValue.parse(plain).decode(PostgresConnectionPayload.self, pointerPrefix: pointer)
        let problems = connection.problems(pointer: pointer)
        if !problems.isEmpty { throw Problem.invalidFields(problems) }
        return connection
    }
}
