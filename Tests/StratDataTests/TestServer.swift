import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests: one request per connection,
/// answered by `handler(pathAndQuery)`. It stands in for the exchange.
final class TestServer: @unchecked Sendable {
    struct Reply {
        var status = 200
        var headers: [String: String] = [:]
        var body = ""
        /// Close the connection without answering (a reset).
        var drop = false
    }

    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var _requests: [String] = []
    private let handler: @Sendable (String) -> Reply
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    var requests: [String] { lock.lock(); defer { lock.unlock() }; return _requests }

    /// Starts a server on an ephemeral port.
    static func start(_ handler: @escaping @Sendable (String) -> Reply) throws -> TestServer {
        let server = try TestServer(handler)
        Thread { server.serve() }.start()
        return server
    }

    private init(_ handler: @escaping @Sendable (String) -> Reply) throws {
        self.handler = handler
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = sock
        var yes: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(sock, 16) == 0 else { throw NSError(domain: "TestServer", code: Int(errno)) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting and waits for the serving thread to leave before the
    /// socket is closed: closed at once, its descriptor number could be reused
    /// by the next test's server while this thread still accepts on it, and
    /// one test's requests were then answered by another's handler.
    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))   // wakes a blocked accept
        if finished.wait(timeout: .now() + 10) == .success { close(fd) }
    }

    private func serve() {
        defer { finished.signal() }
        while true {
            let client = accept(fd, nil, nil)
            lock.lock(); let done = stopped; lock.unlock()
            if done { if client >= 0 { close(client) }; return }
            if client < 0 { if errno == EINTR { continue } else { return } }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !data.contains(13) || !String(decoding: data, as: UTF8.self).contains("\r\n\r\n") {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            let firstLine = String(decoding: data, as: UTF8.self).split(separator: "\r\n").first ?? ""
            let target = firstLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            lock.lock(); _requests.append(target); lock.unlock()
            let reply = handler(target)
            if !reply.drop {
                var head = "HTTP/1.1 \(reply.status) X\r\nContent-Type: application/json\r\nContent-Length: \(reply.body.utf8.count)\r\nConnection: close\r\n"
                for (k, v) in reply.headers { head += "\(k): \(v)\r\n" }
                let out = Array((head + "\r\n" + reply.body).utf8)
                _ = out.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            }
            close(client)
        }
    }
}

/// Query parameters of a request target.
func query(_ target: String) -> [String: String] {
    guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
    var out: [String: String] = [:]
    for pair in q.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
    }
    return out
}

/// Hourly klines as Binance returns them, for any range: price 100 + hours since t0.
func klinesJSON(start: Int64, end: Int64, limit: Int, until: Int64 = .max) -> String {
    var rows: [String] = []
    var t = ((start + 3_599_999) / 3_600_000) * 3_600_000
    while t <= end, t < until, rows.count < limit {
        let p = 100 + Double((t - 1_704_067_200_000) / 3_600_000)
        rows.append("[\(t),\"\(p)\",\"\(p + 1)\",\"\(p - 1)\",\"\(p + 0.5)\",\"10.5\",\(t + 3_599_999),\"1000\",5,\"5\",\"500\",\"0\"]")
        t += 3_600_000
    }
    return "[" + rows.joined(separator: ",") + "]"
}

/// A clock that only moves when slept on: tests see every wait without waiting.
actor FakeTime: TimeSourceForTests {
    var t: Double
    var sleeps: [Double] = []
    init(_ start: Double = 1_700_000_000) { t = start }
    func now() async -> Double { t }
    func sleep(_ seconds: Double) async throws {
        sleeps.append(seconds)
        t += max(0, seconds)
    }
    func slept() -> [Double] { sleeps }
}

import StratData
protocol TimeSourceForTests: TimeSource {}
