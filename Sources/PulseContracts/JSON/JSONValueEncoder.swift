import Foundation

/// Encodes `Encodable` values straight into a `JSONValue` tree (no bytes in between).
///
/// Behaves like `JSONEncoder` with default strategies: `nil` optionals are left out, dates encode as their
/// reference-date seconds. Non-finite numbers are kept in the tree; the writer prints them as `null`.
struct JSONValueEncoder: Encoder {
    fileprivate let box: EncodingBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    fileprivate init(box: EncodingBox, codingPath: [any CodingKey]) {
        self.box = box
        self.codingPath = codingPath
    }

    static func encode(_ value: some Encodable) throws -> JSONValue {
        try EncodingBox.child(for: value, codingPath: []).resolved
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.becomeArray()
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(box: box, codingPath: codingPath)
    }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: EncodingBox
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) { box.members[key.stringValue] = .value(.null) }
        mutating func encode(_ value: Bool, forKey key: Key) { box.members[key.stringValue] = .value(.bool(value)) }
        mutating func encode(_ value: String, forKey key: Key) { box.members[key.stringValue] = .value(.string(value)) }
        mutating func encode(_ value: Double, forKey key: Key) { box.members[key.stringValue] = .value(.number(value)) }
        mutating func encode(_ value: Int, forKey key: Key) { box.members[key.stringValue] = .value(.number(Double(value))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            box.members[key.stringValue] = try EncodingBox.child(for: value, codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = EncodingBox()
            box.members[key.stringValue] = .box(nested)
            return JSONValueEncoder(box: nested, codingPath: codingPath + [key]).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = EncodingBox()
            box.members[key.stringValue] = .box(nested)
            return JSONValueEncoder(box: nested, codingPath: codingPath + [key]).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { superEncoder(named: "super", key: nil) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue, key: key) }

        private func superEncoder(named name: String, key: Key?) -> any Encoder {
            let nested = EncodingBox()
            box.members[name] = .box(nested)
            return JSONValueEncoder(box: nested, codingPath: codingPath + (key.map { [$0] } ?? []))
        }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer {
        let box: EncodingBox
        let codingPath: [any CodingKey]
        var count: Int { box.items.count }

        mutating func encodeNil() { box.items.append(.value(.null)) }
        mutating func encode(_ value: Bool) { box.items.append(.value(.bool(value))) }
        mutating func encode(_ value: String) { box.items.append(.value(.string(value))) }
        mutating func encode(_ value: Double) { box.items.append(.value(.number(value))) }
        mutating func encode(_ value: Int) { box.items.append(.value(.number(Double(value)))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            box.items.append(try EncodingBox.child(for: value, codingPath: codingPath + [IndexKey(count)]))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = EncodingBox()
            let path = codingPath + [IndexKey(count)]
            box.items.append(.box(nested))
            return JSONValueEncoder(box: nested, codingPath: path).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = EncodingBox()
            let path = codingPath + [IndexKey(count)]
            box.items.append(.box(nested))
            return JSONValueEncoder(box: nested, codingPath: path).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let nested = EncodingBox()
            let path = codingPath + [IndexKey(count)]
            box.items.append(.box(nested))
            return JSONValueEncoder(box: nested, codingPath: path)
        }
    }

    private struct SingleValueContainer: SingleValueEncodingContainer {
        let box: EncodingBox
        let codingPath: [any CodingKey]

        mutating func encodeNil() { box.single = .null }
        mutating func encode(_ value: Bool) { box.single = .bool(value) }
        mutating func encode(_ value: String) { box.single = .string(value) }
        mutating func encode(_ value: Double) { box.single = .number(value) }
        mutating func encode(_ value: Float) { box.single = .number(Double(value)) }
        mutating func encode(_ value: Int) { box.single = .number(Double(value)) }
        mutating func encode(_ value: Int8) { box.single = .number(Double(value)) }
        mutating func encode(_ value: Int16) { box.single = .number(Double(value)) }
        mutating func encode(_ value: Int32) { box.single = .number(Double(value)) }
        mutating func encode(_ value: Int64) { box.single = .number(Double(value)) }
        mutating func encode(_ value: UInt) { box.single = .number(Double(value)) }
        mutating func encode(_ value: UInt8) { box.single = .number(Double(value)) }
        mutating func encode(_ value: UInt16) { box.single = .number(Double(value)) }
        mutating func encode(_ value: UInt32) { box.single = .number(Double(value)) }
        mutating func encode(_ value: UInt64) { box.single = .number(Double(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            box.single = try EncodingBox.child(for: value, codingPath: codingPath).resolved
        }
    }
}

/// What an encoder writes into. A reference, so nested containers can keep filling it after they were handed
/// out; members and items are stored properties so appends mutate in place (no copy per element).
private final class EncodingBox {
    enum Child {
        case value(JSONValue)
        case box(EncodingBox)

        var resolved: JSONValue {
            switch self {
            case .value(let value): return value
            case .box(let box): return box.resolved
            }
        }
    }

    private enum Shape { case single, object, array }
    private var shape = Shape.single
    var single = JSONValue.null
    var members: [String: Child] = [:]
    var items: [Child] = []

    func becomeObject() { shape = .object }
    func becomeArray() { shape = .array }

    var resolved: JSONValue {
        switch shape {
        case .single: return single
        case .object: return .object(members.mapValues(\.resolved))
        case .array: return .array(items.map(\.resolved))
        }
    }

    /// Encodes one value; `JSONValue`s and plain scalars are stored as they are.
    static func child<T: Encodable>(for value: T, codingPath: [any CodingKey]) throws -> Child {
        if let tree = value as? JSONValue { return .value(tree) }
        let box = EncodingBox()
        try value.encode(to: JSONValueEncoder(box: box, codingPath: codingPath))
        return box.shape == .single ? .value(box.single) : .box(box)
    }
}
