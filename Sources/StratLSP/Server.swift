import Foundation
import StratSyntax

/// The language server: one message at a time, in order, on one thread. Each
/// open document is re-checked on every change and its diagnostics published;
/// requests read the latest analysis.
///
///     let server = Server(send: MessageWriter(fileDescriptor: 1).send)
///     exit(server.run(MessageReader(fileDescriptor: 0)))
///
/// Lifecycle as the protocol says: requests before `initialize` get
/// ServerNotInitialized, requests after `shutdown` get InvalidRequest, and
/// `exit` ends the server with 0 after a shutdown, 1 without one (as does
/// the end of the input).
public final class Server {
    let send: (JSONObject) -> Void
    /// Symbols of the market-data store (`strat lsp --db`), for completion.
    let storeSymbols: [String]
    var documents: [String: Analysis] = [:]
    var initialized = false
    var shuttingDown = false

    public init(storeSymbols: [String] = [], send: @escaping (JSONObject) -> Void) {
        self.storeSymbols = storeSymbols
        self.send = send
    }

    /// Reads and answers messages until `exit` or the end of the input; returns the exit status.
    public func run(_ reader: MessageReader) -> Int32 {
        var reader = reader
        while true {
            if let status = handle(reader.next()) { return status }
        }
    }

    /// Handles one frame; a status when the server should exit.
    public func handle(_ frame: Frame) -> Int32? {
        switch frame {
        case .end:
            return shuttingDown ? 0 : 1
        case .truncated(let why):
            sendError(id: nil, .parseError, "incomplete message: \(why)")
            return shuttingDown ? 0 : 1
        case .badHeader(let why):
            sendError(id: nil, .parseError, "bad message header: \(why)")
            return nil
        case .message(let body):
            guard let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
                sendError(id: nil, .parseError, "the message body is not valid JSON")
                return nil
            }
            // A batch (an array) is not used by LSP; each element is still answered.
            if let batch = json as? [Any] {
                if batch.isEmpty { sendError(id: nil, .invalidRequest, "an empty batch") }
                for element in batch { if let s = dispatch(element) { return s } }
                return nil
            }
            return dispatch(json)
        }
    }

    func dispatch(_ json: Any) -> Int32? {
        guard let message = json as? JSONObject else {
            sendError(id: nil, .invalidRequest, "a message must be a JSON object")
            return nil
        }
        let id = message["id"].flatMap { $0 is NSNull ? nil : $0 }
        if let id, !(id is String || id is NSNumber) {
            sendError(id: nil, .invalidRequest, "`id` must be a number or a string")
            return nil
        }
        guard let method = message["method"] as? String else {
            // A response to a request we never make, or garbage.
            if id != nil, message["result"] == nil, message["error"] == nil {
                sendError(id: id, .invalidRequest, "the message has no `method`")
            }
            return nil
        }
        let params = message["params"] as? JSONObject ?? [:]
        if let id { request(id, method, params); return nil }
        return notification(method, params)
    }

    // MARK: Notifications

    func notification(_ method: String, _ params: JSONObject) -> Int32? {
        switch method {
        case "exit": return shuttingDown ? 0 : 1
        case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration": return nil
        default: break
        }
        guard initialized, !shuttingDown else { return nil }
        let doc = params["textDocument"] as? JSONObject ?? [:]
        guard let uri = doc["uri"] as? String else { return nil }
        switch method {
        case "textDocument/didOpen":
            guard let text = doc["text"] as? String else { return nil }
            update(Document(uri: uri, version: doc["version"] as? Int ?? 0, text: text))
        case "textDocument/didChange":
            guard var d = documents[uri]?.document else { return nil }
            for change in params["contentChanges"] as? [JSONObject] ?? [] { d.apply(change) }
            if let v = doc["version"] as? Int { d.setVersion(v) }
            update(d)
        case "textDocument/didClose":
            documents[uri] = nil
            // Clear what the editor shows for a file no longer open.
            send(["jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                  "params": ["uri": uri, "diagnostics": [Any]()] as JSONObject])
        default: break
        }
        return nil
    }

    /// Re-checks a document and publishes its diagnostics.
    func update(_ d: Document) {
        let a = Analysis(d)
        documents[d.uri] = a
        send(Diagnostics.publish(a))
    }

    // MARK: Requests

    func request(_ id: Any, _ method: String, _ params: JSONObject) {
        if method == "initialize" {
            initialized = true
            reply(id, Self.capabilities)
            return
        }
        guard initialized else { return sendError(id: id, .serverNotInitialized, "`initialize` must come first") }
        guard !shuttingDown else { return sendError(id: id, .invalidRequest, "the server is shutting down") }
        if method == "shutdown" {
            shuttingDown = true
            reply(id, NSNull())
            return
        }
        guard Self.documentMethods.contains(method) else {
            return sendError(id: id, .methodNotFound, "`\(method)` is not supported")
        }
        let doc = params["textDocument"] as? JSONObject ?? [:]
        guard let uri = doc["uri"] as? String else { return sendError(id: id, .invalidParams, "`textDocument.uri` is missing") }
        guard let a = documents[uri] else { return sendError(id: id, .invalidParams, "\(uri) is not open") }
        let position = Position(params["position"])
        func at() -> Position? {
            if position == nil { sendError(id: id, .invalidParams, "`position` is missing or not {line, character}") }
            return position
        }
        switch method {
        case "textDocument/hover":
            guard let p = at() else { return }
            reply(id, Hover.hover(a, at: p) ?? NSNull())
        case "textDocument/completion":
            guard let p = at() else { return }
            reply(id, ["isIncomplete": false, "items": Completion.items(a, at: p, symbols: storeSymbols)] as JSONObject)
        case "textDocument/definition":
            guard let p = at() else { return }
            reply(id, Navigation.definition(a, at: p) ?? NSNull())
        case "textDocument/references":
            guard let p = at() else { return }
            let include = (params["context"] as? JSONObject)?["includeDeclaration"] as? Bool ?? true
            reply(id, Navigation.references(a, at: p, includeDeclaration: include))
        case "textDocument/prepareRename":
            guard let p = at() else { return }
            reply(id, Navigation.prepareRename(a, at: p) ?? NSNull())
        case "textDocument/rename":
            guard let p = at() else { return }
            guard let newName = params["newName"] as? String else { return sendError(id: id, .invalidParams, "`newName` is missing") }
            do { reply(id, try Navigation.rename(a, at: p, to: newName)) } catch Navigation.RenameError.refused(let why) {
                sendError(id: id, .requestFailed, why)
            } catch { sendError(id: id, .internalError, "\(error)") }
        case "textDocument/documentSymbol":
            reply(id, DocumentSymbols.symbols(a))
        case "textDocument/formatting":
            switch Formatting.edits(a) {
            case .success(let edits): reply(id, edits)
            case .failure(let e): sendError(id: id, .requestFailed, e.message)
            }
        case "textDocument/codeAction":
            guard let r = LSPRange(params["range"]) else { return sendError(id: id, .invalidParams, "`range` is missing") }
            reply(id, CodeActions.actions(a, range: r))
        default:
            sendError(id: id, .methodNotFound, "`\(method)` is not supported")
        }
    }

    static let documentMethods: Set<String> = [
        "textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/references",
        "textDocument/prepareRename", "textDocument/rename", "textDocument/documentSymbol",
        "textDocument/formatting", "textDocument/codeAction",
    ]

    static var capabilities: JSONObject { [
        "capabilities": [
            "positionEncoding": "utf-16",
            // 2: incremental; a change carries a range and its new text.
            "textDocumentSync": ["openClose": true, "change": 2] as JSONObject,
            "hoverProvider": true,
            "completionProvider": ["triggerCharacters": ["."], "resolveProvider": false] as JSONObject,
            "definitionProvider": true,
            "referencesProvider": true,
            "documentSymbolProvider": true,
            "renameProvider": ["prepareProvider": true] as JSONObject,
            "documentFormattingProvider": true,
            "codeActionProvider": ["codeActionKinds": ["quickfix"]] as JSONObject,
        ] as JSONObject,
        "serverInfo": ["name": "strat", "version": "0.1.0"] as JSONObject,
    ] }

    func reply(_ id: Any, _ result: Any) {
        send(["jsonrpc": "2.0", "id": id, "result": result])
    }

    func sendError(id: Any?, _ code: RPCError, _ message: String) {
        send(["jsonrpc": "2.0", "id": id ?? NSNull(), "error": ["code": code.rawValue, "message": message] as JSONObject])
    }
}
