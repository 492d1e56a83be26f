/// What an idempotency key stands for: the operation name and the payload as the producer sent it, hashed over
/// their canonical JSON. The same key with another hash is a different request (422), never a retry.
public enum IdempotentRequest {
    /// `sha256:<hex>` of the canonical JSON `{"name": …, "payload": …}`. Producers and the gateway compute it
    /// before secrets in the payload are sealed (sealing is randomised, so a sealed payload hashes differently
    /// every time).
    public static func hash(name: String, payload: JSONValue) -> String {
        "sha256:" + SHA256.hex(of: CanonicalJSON.data(.object(["name": .string(name), "payload": payload])))
    }

    /// The envelope's own `metadata.requestHash` when a producer set it, else the hash of what it carries.
    public static func hash(of envelope: Envelope) -> String {
        envelope.metadata.requestHash ?? hash(name: envelope.name, payload: envelope.payload)
    }

    public static func isHash(_ text: String) -> Bool {
        text.hasPrefix("sha256:") && text.utf8.count == 71
            && text.utf8.dropFirst(7).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
