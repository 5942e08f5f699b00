import AsyncHTTPClient
import Foundation
import NIOCore

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How requests go out; tests can stand in a fake.
public protocol HTTPTransport: Sendable {
    func get(_ url: String, timeout: Double) async throws -> HTTPResponse
}

/// HTTP through async-http-client.
public struct AsyncHTTPTransport: HTTPTransport {
    public init() {}

    public func get(_ url: String, timeout: Double) async throws -> HTTPResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "strat/0.1")
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name.lowercased()] = value }
        let body = try await response.body.collect(upTo: 64 << 20)
        return HTTPResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
    }
}

public struct FetchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
