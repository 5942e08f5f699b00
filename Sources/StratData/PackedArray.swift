import PostgresNIO

/// A one-dimensional PostgreSQL array of 8-byte values (`BIGINT[]`,
/// `DOUBLE PRECISION[]`) in the binary wire format, written and read in one
/// tight pass over the bytes. Bars travel this way, a column at a time:
/// postgres-nio's generic per-element coding takes seconds per million
/// values in a debug build, this milliseconds; and doubles keep every bit.
struct PackedArray<Element: PackedElement>: PostgresNonThrowingEncodable, PostgresDecodable {
    var values: [Element]

    init(_ values: [Element]) { self.values = values }

    static var psqlType: PostgresDataType { Element.arrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<E: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<E>) {
        // One dimension, no NULLs, the element type; the length, lower bound 1; then each value as (length 8, bytes).
        buffer.writeMultipleIntegers(Int32(1), Int32(0), Element.elementType.rawValue, Int32(values.count), Int32(1))
        let size = values.count * 12
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            for i in values.indices {
                raw.storeBytes(of: UInt32(8).bigEndian, toByteOffset: i * 12, as: UInt32.self)
                raw.storeBytes(of: values[i].packed.bigEndian, toByteOffset: i * 12 + 4, as: UInt64.self)
            }
            return size
        }
    }

    init<D: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                 context: PostgresDecodingContext<D>) throws {
        guard type == Self.psqlType, format == .binary,
              let (dimensions, nulls, element) = buffer.readMultipleIntegers(as: (Int32, Int32, UInt32).self),
              nulls == 0, element == Element.elementType.rawValue else { throw PostgresDecodingError.Code.typeMismatch }
        // An empty array has no dimensions.
        guard dimensions == 1 else {
            if dimensions == 0 { values = []; return }
            throw PostgresDecodingError.Code.failure
        }
        guard let (count, _) = buffer.readMultipleIntegers(as: (Int32, Int32).self), count >= 0,
              buffer.readableBytes == Int(count) * 12 else { throw PostgresDecodingError.Code.failure }
        let n = Int(count)
        values = buffer.withUnsafeReadableBytes { raw in
            [Element](unsafeUninitializedCapacity: n) { out, initialized in
                for i in 0..<n {
                    out[i] = Element(packed: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12 + 4, as: UInt64.self)))
                }
                initialized = n
            }
        }
        buffer.moveReaderIndex(forwardBy: n * 12)
    }
}

/// An 8-byte value a `PackedArray` holds, by its bits.
protocol PackedElement: Sendable {
    static var elementType: PostgresDataType { get }
    static var arrayType: PostgresDataType { get }
    var packed: UInt64 { get }
    init(packed: UInt64)
}

extension Double: PackedElement {
    static var elementType: PostgresDataType { .float8 }
    static var arrayType: PostgresDataType { .float8Array }
    var packed: UInt64 { bitPattern }
    init(packed: UInt64) { self.init(bitPattern: packed) }
}

extension Int64: PackedElement {
    static var elementType: PostgresDataType { .int8 }
    static var arrayType: PostgresDataType { .int8Array }
    var packed: UInt64 { UInt64(bitPattern: self) }
    init(packed: UInt64) { self.init(bitPattern: packed) }
}
