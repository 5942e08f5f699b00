import Crypto
import Foundation

/// The stable content hash of a strategy: SHA-256 of its canonical JSON (sorted
/// keys) with source locations and the hash itself left out.
public enum ContentHash {
    public static func of(_ s: IRStrategy) -> String {
        var copy = s
        copy.hash = ""
        copy.rules = copy.rules.map { r in
            var r = r
            r.source = nil
            r.actions = r.actions.map { var a = $0; a.source = nil; return a }
            return r
        }
        let data = (try? IRJSON.encoder.encode(copy)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

public enum IRJSON {
    /// Canonical encoder: sorted keys, so the same IR always gives the same bytes.
    public static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    public static func encode(_ p: IRProgram, pretty: Bool = true) throws -> Data {
        let e = encoder
        if pretty { e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] }
        return try e.encode(p)
    }

    public static func decode(_ data: Data) throws -> IRProgram {
        try JSONDecoder().decode(IRProgram.self, from: data)
    }
}
