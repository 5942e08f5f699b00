import Crypto
import Foundation

/// The stable content hash of a strategy: SHA-256 of its canonical JSON (sorted
/// keys) with source locations and the hash itself left out.
public enum ContentHash {
    public static func of(_ s: IRStrategy) -> String {
        // Hex by hand: `String(format:)` per byte took half the time of a file of
        // 50,000 small strategies.
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for b in SHA256.hash(data: canonicalBytes(s) ?? []) {
            hex.append(digits[Int(b >> 4)])
            hex.append(digits[Int(b & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The bytes hashed (nil when a number is not finite, which JSON can't hold).
    public static func canonicalBytes(_ s: IRStrategy) -> [UInt8]? {
        CanonicalJSON.of(hashed(s))
    }

    /// The strategy as hashed: no hash, no source locations.
    static func hashed(_ s: IRStrategy) -> IRStrategy {
        var copy = s
        copy.hash = ""
        copy.rules = copy.rules.map { r in
            var r = r
            r.source = nil
            r.actions = r.actions.map { var a = $0; a.source = nil; return a }
            return r
        }
        return copy
    }

    /// What `of` hashes, written by Foundation's encoder: the reference that
    /// `CanonicalJSON` matches byte for byte (nil where the encoder refuses).
    public static func encoderBytes(_ s: IRStrategy) -> [UInt8]? {
        (try? IRJSON.encoder.encode(hashed(s))).map(Array.init)
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
