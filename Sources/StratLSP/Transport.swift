import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC message body as Foundation's JSONSerialization reads and writes it.
public typealias JSONObject = [String: Any]

/// JSON-RPC error codes used by the server (JSON-RPC 2.0 and LSP).
public enum RPCError: Int {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case serverNotInitialized = -32002
    case requestFailed = -32803
}

/// What the reader found next in the byte stream.
public enum Frame: Equatable {
    /// A complete body (not yet parsed as JSON).
    case message(Data)
    /// A header block that could not be used; the reader has skipped it and
    /// whatever body it announced, so the next message is read normally.
    case badHeader(String)
    /// The stream ended inside a message (a header or a body cut short).
    case truncated(String)
    /// The stream ended cleanly, between messages.
    case end
}

/// Splits a byte stream into LSP messages: header lines ending in CRLF
/// (`Content-Length: N` is required, `Content-Type` is accepted and ignored), a
/// blank line, then N bytes of JSON.
///
///     var reader = MessageReader(fileDescriptor: 0)
///     while case .message(let body) = reader.next() { … }
///
/// Malformed input is reported as a frame, never a crash: a header without a
/// usable length is skipped up to its blank line.
public struct MessageReader {
    /// The largest body accepted by default (a bigger one is skipped as a bad header).
    public static let defaultMaxBody = 64 << 20
    let maxBody: Int
    /// The longest header block accepted before giving up on finding its end.
    static let maxHeader = 8 << 10

    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private let fill: () -> [UInt8]?

    /// `fill` returns the next bytes of the stream, or nil at its end.
    public init(maxBody: Int = MessageReader.defaultMaxBody, fill: @escaping () -> [UInt8]?) {
        self.maxBody = maxBody
        self.fill = fill
    }

    /// Reads from a file descriptor (stdin for the server).
    public init(fileDescriptor fd: Int32) {
        self.init {
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 { return Array(chunk[0..<n]) }
                if n < 0, errno == EINTR { continue }
                return nil
            }
        }
    }

    private var available: Int { buffer.count - start }

    /// Reads until `count` bytes are buffered or the stream ends; false at the end.
    private mutating func want(_ count: Int) -> Bool {
        while available < count {
            if atEnd { return false }
            guard let more = fill() else { atEnd = true; return false }
            if start > 0, start >= buffer.count / 2 { buffer.removeFirst(start); start = 0 }
            buffer += more
        }
        return true
    }

    /// The index just past the blank line ending the header block, reading more as needed.
    private mutating func headerEnd() -> Int? {
        // Counted from `start`: reading more may move the buffered bytes.
        var searched = 0
        while true {
            var i = start + searched
            while i + 3 < buffer.count {
                if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 { return i + 4 }
                i += 1
            }
            searched = max(0, buffer.count - 3 - start)
            if available > Self.maxHeader { return nil }
            if !want(available + 1) { return nil }
        }
    }

    public mutating func next() -> Frame {
        // Blank lines between messages are tolerated.
        while want(1), buffer[start] == 13 || buffer[start] == 10 { start += 1 }
        if available == 0 { return .end }
        guard let end = headerEnd() else {
            if available > Self.maxHeader {
                // No end of header in sight: drop what was read and start over.
                start = buffer.count
                return .badHeader("no blank line after \(Self.maxHeader) bytes of header")
            }
            start = buffer.count
            return .truncated("the stream ended inside a header")
        }
        let header = String(decoding: buffer[start..<(end - 4)], as: UTF8.self)
        start = end
        var length: Int?
        var problem: String?
        for line in header.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else {
                problem = "header line `\(line.prefix(80))` has no `:`"
                continue
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" {
                if let n = Int(value), n >= 0 { length = n } else { problem = "Content-Length `\(value.prefix(40))` is not a whole number" }
            }
        }
        guard let length else { return .badHeader(problem ?? "the header has no Content-Length") }
        if length > maxBody {
            // Skip the body so the stream stays in step.
            var left = length
            while left > 0, want(1) { let k = min(left, available); start += k; left -= k }
            return .badHeader("Content-Length \(length) is more than the \(maxBody) bytes accepted")
        }
        guard want(length) else {
            let got = available
            start = buffer.count
            return .truncated("the body has \(got) of its \(length) bytes")
        }
        let body = Data(buffer[start..<(start + length)])
        start += length
        return .message(body)
    }
}

/// Frames a message: the header, then the JSON body.
public func frame(_ message: JSONObject) -> Data {
    let body = (try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    var out = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
    out.append(body)
    return out
}

/// Writes framed messages to a file descriptor (stdout for the server).
public struct MessageWriter {
    let fd: Int32
    public init(fileDescriptor fd: Int32) { self.fd = fd }

    public func send(_ message: JSONObject) {
        let data = frame(message)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0, errno == EINTR { continue } else { return }
            }
        }
    }
}
