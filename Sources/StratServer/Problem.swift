import Foundation
import Hummingbird

/// An error answered as an RFC 9457 problem document
/// (`application/problem+json`). `type` is stable per kind of error
/// (`/problems/<name>`), so clients branch on it, not on the wording.
public struct Problem: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// The stable name in the type URI, e.g. `unknown-field`.
    public var name: String
    public var title: String
    public var detail: String
    /// The request field at fault, as a JSON pointer (`/options/capital`).
    public var field: String?
    /// A strategy's diagnostics, as `strat check --format json` prints them.
    public var diagnostics: Data?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ name: String, _ title: String, detail: String, field: String? = nil) {
        self.status = status
        self.name = name
        self.title = title
        self.detail = detail
        self.field = field
    }

    public var description: String { "\(status.code) \(name): \(detail)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body(instance: request.uri.path))))
    }

    /// The document's bytes: keys sorted, so the same problem reads the same.
    func body(instance: String) -> Data {
        var text = "{"
        if let diagnostics { text += "\"diagnostics\":" + String(decoding: diagnostics, as: UTF8.self) + "," }
        text += "\"detail\":\(Self.quoted(detail)),"
        if let field { text += "\"field\":\(Self.quoted(field))," }
        text += "\"instance\":\(Self.quoted(instance)),\"status\":\(status.code),\"title\":\(Self.quoted(title)),\"type\":\(Self.quoted("/problems/" + name))}"
        return Data(text.utf8)
    }

    static func quoted(_ s: String) -> String {
        let e = JSONEncoder()
        e.outputFormatting = .withoutEscapingSlashes
        let data = try! e.encode(s)
        return String(decoding: data, as: UTF8.self)
    }
}

// The problems the API answers with, one constructor per stable type.
extension Problem {
    static func badJSON(_ detail: String) -> Problem { Problem(.badRequest, "invalid-json", "The body is not valid JSON", detail: detail) }
    static func unknownField(_ pointer: String, known: [String]) -> Problem {
        Problem(.badRequest, "unknown-field", "An unknown field", detail: "\(pointer): no such field; expected one of \(known.joined(separator: ", "))", field: pointer)
    }
    static func invalid(_ pointer: String?, _ detail: String) -> Problem {
        Problem(.badRequest, "invalid-request", "A field is missing, of the wrong type or out of range", detail: detail, field: pointer)
    }
    static func unauthorized(_ detail: String) -> Problem {
        var p = Problem(.unauthorized, "unauthorized", "A bearer token is needed", detail: detail)
        p.headers[.wwwAuthenticate] = "Bearer"
        return p
    }
    static func revoked(_ name: String) -> Problem { Problem(.forbidden, "token-revoked", "The token was revoked", detail: "the token `\(name)` was revoked; create another with `strat token create`") }
    static func tooLarge(_ name: String, _ detail: String, field: String? = nil) -> Problem { Problem(.contentTooLarge, name, "Over the token's limit", detail: detail, field: field) }
    static func tooMany(_ name: String, _ detail: String, retryAfter: Int) -> Problem {
        var p = Problem(.tooManyRequests, name, "Over the token's limit", detail: detail)
        p.headers[.retryAfter] = String(retryAfter)
        return p
    }
    static func notFound(_ detail: String) -> Problem { Problem(.notFound, "not-found", "No such resource", detail: detail) }
    static func conflict(_ name: String, _ detail: String) -> Problem { Problem(.conflict, name, "Not in a state for this", detail: detail) }
    static func unprocessable(_ name: String, _ title: String, _ detail: String, field: String? = nil) -> Problem {
        Problem(.unprocessableContent, name, title, detail: detail, field: field)
    }
    static func internalError(_ id: String) -> Problem {
        Problem(.internalServerError, "internal", "An internal error", detail: "an internal error (request \(id)); the server's log has it")
    }
}
