import Foundation

/// The OpenAPI document, embedded in the binary from openapi.json: served at
/// `/openapi.json`, and the schema every request body is checked against, so
/// what the document says a request may hold is what the server takes.
public enum APIDocument {
    public static let bytes = Data(PackageResources.openapi_json)
    static let root: JSONValue = try! JSONDecoder().decode(JSONValue.self, from: bytes)

    /// `#/components/schemas/NAME`.
    static func schema(_ name: String) -> JSONValue { root["components"]?["schemas"]?[name] ?? .object([:]) }

    /// The first place `value` breaks schema `name`: a JSON pointer and what was expected.
    public static func violation(of value: JSONValue, schema name: String) -> (pointer: String, message: String, unknownField: [String]?)? {
        check(value, schema(name), at: "")
    }

    static func check(_ v: JSONValue, _ s: JSONValue, at p: String) -> (pointer: String, message: String, unknownField: [String]?)? {
        if case .string(let ref)? = s["$ref"] { return check(v, schema(String(ref.split(separator: "/").last ?? "")), at: p) }
        let here = p.isEmpty ? "the body" : p
        if let types = s["type"] {
            let allowed = types.array?.compactMap(\.string) ?? [types.string ?? ""]
            guard allowed.contains(where: v.isA) else {
                let got = v.array == nil && v.object == nil ? v.text : v.kind
                return (p, "\(here) must be \(allowed.map(JSONValue.article).joined(separator: " or ")), got \(got)", nil)
            }
        }
        if let options = s["enum"]?.array, !options.contains(v) {
            return (p, "\(here) must be one of \(options.map(\.text).joined(separator: ", ")), got \(v.text)", nil)
        }
        switch v {
        case .number(let x):
            if let m = s["minimum"]?.number, x < m { return (p, "\(here) must be at least \(JSONValue.number(m).text), got \(v.text)", nil) }
            if let m = s["maximum"]?.number, x > m { return (p, "\(here) must be at most \(JSONValue.number(m).text), got \(v.text)", nil) }
        case .string(let t):
            if let m = s["minLength"]?.number, t.count < Int(m) { return (p, "\(here) must have at least \(Int(m)) character\(m == 1 ? "" : "s")", nil) }
            if let m = s["maxLength"]?.number, t.count > Int(m) { return (p, "\(here) must have at most \(Int(m)) characters, got \(t.count)", nil) }
            if let pattern = s["pattern"]?.string, t.range(of: pattern, options: .regularExpression) == nil {
                return (p, "\(here) must match \(pattern), got \(v.text)", nil)
            }
        case .array(let items):
            if let m = s["minItems"]?.number, items.count < Int(m) { return (p, "\(here) must have at least \(Int(m)) item\(m == 1 ? "" : "s")", nil) }
            if let item = s["items"] {
                for (i, x) in items.enumerated() { if let bad = check(x, item, at: "\(p)/\(i)") { return bad } }
            }
        case .object(let fields):
            let properties = s["properties"]?.object ?? [:]
            for name in s["required"]?.array?.compactMap(\.string) ?? [] where fields[name] == nil {
                return ("\(p)/\(name)", "\(here) needs the field `\(name)`", nil)
            }
            for name in fields.keys.sorted() {
                if let property = properties[name] {
                    if let bad = check(fields[name]!, property, at: "\(p)/\(name)") { return bad }
                } else if s["additionalProperties"] == .bool(false) {
                    return ("\(p)/\(name)", "\(p)/\(name): no such field", properties.keys.sorted())
                }
            }
        default: break
        }
        return nil
    }
}

/// Any JSON value, for checking bodies against the document before they are decoded.
public enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let x = try? c.decode(Double.self) { self = .number(x) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let x): try c.encode(x)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { o[key] } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var number: Double? { if case .number(let x) = self { x } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var object: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }

    func isA(_ type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let x)): x == x.rounded() && abs(x) < 9e15
        default: false
        }
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    static func article(_ type: String) -> String { type == "integer" || type == "object" || type == "array" ? "an \(type)" : (type == "null" ? "null" : "a \(type)") }

    /// As JSON (short values, for messages).
    var text: String {
        if case .number(let x) = self, x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }
}
