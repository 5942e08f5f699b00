import Foundation
import Hummingbird
import Logging
import NIOCore
import StratQueue

/// The HTTP API (openapi.json): routes, the gate every request passes
/// (request id, log line, token, rate limit, problem documents), and the
/// handlers, which check a submission fully before queueing it.
public struct API: Sendable {
    let queue: any JobQueue
    let store: any ServerStore
    let jobs: Jobs
    let metrics: ServerMetrics
    let limiter = RateLimiter()
    let logger: Logger

    public init(queue: any JobQueue, store: any ServerStore, jobs: Jobs, metrics: ServerMetrics, logger: Logger) {
        self.queue = queue
        self.store = store
        self.jobs = jobs
        self.metrics = metrics
        self.logger = logger
    }

    /// Every route, as (method, path) in the document's spelling; a test checks it against openapi.json.
    public static let routes: [(method: String, path: String)] = [
        ("get", "/healthz"), ("get", "/openapi.json"), ("get", "/metrics"),
        ("post", "/v1/backtests"), ("get", "/v1/backtests/{id}"), ("delete", "/v1/backtests/{id}"), ("get", "/v1/backtests/{id}/result"),
        ("post", "/v1/batches"), ("get", "/v1/batches/{id}"), ("get", "/v1/batches/{id}/results"),
        ("post", "/v1/check"), ("get", "/v1/series"), ("get", "/v1/backtests/{id}/report"),
        ("get", "/"), ("post", "/"), ("post", "/ui/sign-out"), ("post", "/ui/backtests"), ("get", "/ui/backtests/{id}"),
    ]
    static let publicPaths: Set<String> = ["/healthz", "/openapi.json", "/metrics"]

    public func router() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self)
        router.add(middleware: Gate(api: self))
        router.get("/healthz") { _, _ in json(Data(#"{"status":"ok"}"#.utf8)) }
        router.get("/openapi.json") { _, _ in json(APIDocument.bytes) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: try await metrics.text(queue))))
        }
        router.post("/v1/backtests") { request, context in try await submitBacktest(request, context) }
        router.get("/v1/backtests/{id}") { _, context in json(try await jobStatus(try await ownJob(context, kind: Jobs.backtest))) }
        router.delete("/v1/backtests/{id}") { _, context in
            let id = try await ownJob(context, kind: Jobs.backtest)
            if try await queue.cancel(id) { logger.info("job cancelled", metadata: ["job": "\(id)", "token": "\(context.token!.name)"]) }
            return json(try await jobStatus(id))
        }
        router.get("/v1/backtests/{id}/result") { _, context in
            let id = try await ownJob(context, kind: Jobs.backtest)
            guard let status = try await queue.status(id) else { throw Problem.notFound("no backtest \(id)") }
            guard status.state == .succeeded, let result = try await queue.result(id) else { throw notDone(status.state, "backtest \(id)", status.error) }
            return json(result)
        }
        router.post("/v1/batches") { request, context in try await submitBatch(request, context) }
        router.get("/v1/batches/{id}") { _, context in json(try await batchStatus(try await ownBatch(context)).json) }
        router.get("/v1/batches/{id}/results") { _, context in
            let batch = try await ownBatch(context)
            let status = try await batchStatus(batch)
            guard status.state == .succeeded else { throw notDone(status.state, "batch \(batch.id)", status.error) }
            var slices: [Data] = []
            for id in try await store.batchJobs(batch.id) {
                guard let r = try await queue.result(id) else { throw notDone(.running, "batch \(batch.id)", nil) }
                slices.append(r)
            }
            return json(try jobs.assemble(request: batch.request, slices: slices))
        }
        router.post("/v1/check") { request, context in
            let body = try await readBody(request, context, schema: "CheckRequest")
            let check = try JSONDecoder().decode(CheckRequest.self, from: body)
            try checkSource(check.strategy, context)
            return json(jobs.check(source: check.strategy, file: check.file ?? "strategy.strat"))
        }
        router.get("/v1/series") { _, _ in json(try jobs.series()) }
        WebPages(api: self).register(on: router)
        return router
    }

    // MARK: Backtests

    /// A submission's body, checked against `schema` and the token's source limit, and its idempotency key.
    func submission(_ request: Request, _ context: ServerContext, schema: String) async throws -> (Submission, key: String?) {
        let body = try await readBody(request, context, schema: schema)
        let submission = try JSONDecoder().decode(Submission.self, from: body)
        try checkSource(submission.strategy, context)
        return (submission, request.headers.first { $0.name.canonicalName == "idempotency-key" }.map { "token \(context.token!.id): \($0.value)" })
    }

    func submitBacktest(_ request: Request, _ context: ServerContext) async throws -> Response {
        let token = context.token!
        let (submission, key) = try await submission(request, context, schema: "BacktestRequest")
        if let key, let existing = try await store.job(idempotencyKey: key) {
            return accepted(id: existing.rawValue, path: "/v1/backtests/\(existing)", state: try await queue.status(existing)?.state ?? .queued)
        }
        try await checkConcurrency(token)
        let id = try await enqueueBacktest(submission, token: token, key: key)
        return accepted(id: id.rawValue, path: "/v1/backtests/\(id)", state: try await queue.status(id)?.state ?? .queued)
    }

    /// Admits and queues a backtest (the API's and the web page's submissions).
    func enqueueBacktest(_ submission: Submission, token: TokenRecord, key: String?) async throws -> JobID {
        let job = try jobs.admitBacktest(submission, limits: token.limits)
        let id = try await queue.enqueue(kind: Jobs.backtest, payload: job.payload, contentHash: job.hash,
                                         idempotencyKey: key, maxAttempts: QueueOptions.defaultMaxAttempts)
        try await store.recordJob(id, token: token.id, kind: Jobs.backtest, batch: nil, idempotencyKey: key)
        logger.info("job queued", metadata: ["job": "\(id)", "kind": "backtest", "token": "\(token.name)"])
        return id
    }

    func jobStatus(_ id: JobID) async throws -> Data {
        guard let s = try await queue.status(id) else { throw Problem.notFound("no backtest \(id)") }
        return JobView(s).json
    }

    /// The job named by the path, if this token submitted it.
    func ownJob(_ context: ServerContext, kind: String) async throws -> JobID {
        let text = context.parameters.get("id") ?? ""
        guard let raw = Int64(text), raw > 0 else { throw Problem.notFound("no backtest \(text): ids are whole numbers from 1") }
        let id = JobID(raw)
        guard let owner = try await store.jobOwner(id), owner.token == context.token!.id, owner.kind == kind else {
            throw Problem.notFound("no backtest \(id) for this token")
        }
        return id
    }

    func notDone(_ state: JobState, _ what: String, _ error: String?) -> Problem {
        switch state {
        case .failed: .conflict("job-failed", "\(what) failed: \(error ?? "no error was recorded")")
        case .cancelled: .conflict("job-cancelled", "\(what) was cancelled; it has no result")
        default: .conflict("not-finished", "\(what) is \(state.rawValue); its result is there once it has succeeded")
        }
    }

    // MARK: Batches

    func submitBatch(_ request: Request, _ context: ServerContext) async throws -> Response {
        let token = context.token!
        let (submission, key) = try await submission(request, context, schema: "BatchRequest")
        if let key, let existing = try await store.batch(idempotencyKey: key) {
            return accepted(id: existing, path: "/v1/batches/\(existing)", state: try await batchStatus(try await store.batch(existing)!).state)
        }
        try await checkConcurrency(token)
        let plan = try jobs.admitBatch(submission, limits: token.limits)
        let (id, created) = try await store.createBatch(token: token.id, request: plan.request, points: plan.points, idempotencyKey: key)
        if created {
            for slice in plan.slices {
                let job = try await queue.enqueue(kind: Jobs.batchSlice, payload: slice.payload, contentHash: slice.hash,
                                                  idempotencyKey: "batch \(id) slice \(slice.index)", maxAttempts: QueueOptions.defaultMaxAttempts)
                try await store.recordJob(job, token: token.id, kind: Jobs.batchSlice, batch: id, idempotencyKey: nil)
            }
            logger.info("batch queued", metadata: ["batch": "\(id)", "points": "\(plan.points)", "jobs": "\(plan.slices.count)", "token": "\(token.name)"])
        }
        return accepted(id: id, path: "/v1/batches/\(id)", state: .queued)
    }

    func ownBatch(_ context: ServerContext) async throws -> BatchRecord {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0, let batch = try await store.batch(id), batch.token == context.token!.id else {
            throw Problem.notFound("no batch \(text) for this token")
        }
        return batch
    }

    func batchStatus(_ batch: BatchRecord) async throws -> BatchView {
        let ids = try await store.batchJobs(batch.id)
        var statuses: [JobStatus] = []
        for id in ids { if let s = try await queue.status(id) { statuses.append(s) } }
        return BatchView(batch: batch, jobs: statuses, pointsPerJob: ids.isEmpty ? 0 : (batch.points + ids.count - 1) / ids.count)
    }

    // MARK: Limits and bodies

    /// The body, within the token's limit, checked against the document's schema.
    func readBody(_ request: Request, _ context: ServerContext, schema: String) async throws -> Data {
        let limit = context.token!.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem.tooLarge("body-too-large", "the body is \(length) bytes; this token may send at most \(limit)")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw Problem.tooLarge("body-too-large", "the body is over \(limit) bytes, the most this token may send")
        }
        let data = Data(buffer: buffer)
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw Problem.badJSON("the body is not JSON: \(Self.reason(error))")
        }
        if let bad = APIDocument.violation(of: value, schema: schema) {
            if let known = bad.unknownField { throw Problem.unknownField(bad.pointer, known: known) }
            throw Problem.invalid(bad.pointer, bad.message)
        }
        return data
    }

    static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let c) = error {
            return (c.underlyingError.map { "\($0.localizedDescription)" } ?? c.debugDescription)
        }
        return "\(error)"
    }

    func checkSource(_ source: String?, _ context: ServerContext) throws {
        let limit = context.token!.limits.maxSourceBytes
        if let source, source.utf8.count > limit {
            throw Problem.tooLarge("source-too-large", "the strategy is \(source.utf8.count) bytes; this token may send at most \(limit)", field: "/strategy")
        }
    }

    /// Backtests and batches (one each) not yet finished, against the token's limit.
    func checkConcurrency(_ token: TokenRecord) async throws {
        let open = try await store.activeSubmissions(token: token.id)
        if open >= token.limits.concurrentJobs {
            throw Problem.tooMany("too-many-jobs", "this token has \(open) backtests or batches queued or running, its limit; retry when one finishes", retryAfter: 5)
        }
    }

    func accepted(id: Int64, path: String, state: JobState) -> Response {
        Response(status: .accepted, headers: [.contentType: "application/json", .location: path],
                 body: .init(byteBuffer: ByteBuffer(string: #"{"id":"\#(id)","state":"\#(state.rawValue)"}"#)))
    }
}

func json(_ data: Data) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// What every request passes first: a request id, one log line when it is
/// answered, the token (all but the public routes), the rate limit, and every
/// error as a problem document.
struct Gate: RouterMiddleware {
    let api: API

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        var response: Response
        do {
            let path = request.uri.path
            if path == "/" || path.hasPrefix("/ui/") {
                // The web page's own routes: signed in by cookie, or shown the sign-in form.
                do { context.token = try await authenticate(request) } catch let p as Problem where p.status == .unauthorized || p.status == .forbidden {}
            } else if !API.publicPaths.contains(path) {
                context.token = try await authenticate(request)
            }
            response = try await next(request, context)
        } catch let p as Problem {
            response = try p.response(from: request, context: context)
        } catch let e as HTTPError {
            response = try problem(for: e).response(from: request, context: context)
        } catch is DecodingError {
            // The body passed the document's schema, so this is a value the schema cannot say (a seed over 2^64).
            response = try Problem.invalid(nil, "a field holds a value out of its type's range").response(from: request, context: context)
        } catch {
            api.logger.error("request failed", metadata: ["request": "\(context.id)", "error": "\(error)"])
            response = try Problem.internalError(context.id).response(from: request, context: context)
        }
        let ms = (ContinuousClock.now - start) / .milliseconds(1)
        api.metrics.requests(response.status.code).increment()
        api.logger.info("request", metadata: ["request": "\(context.id)", "method": "\(request.method)", "path": "\(request.uri.path)",
                                              "status": "\(response.status.code)", "ms": "\(String(format: "%.1f", ms))",
                                              "token": "\(context.token?.name ?? "-")"])
        return response
    }

    /// The bearer token, else the web page's cookie.
    func authenticate(_ request: Request) async throws -> TokenRecord {
        let secret: String
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer "), case let s = header.dropFirst(7).trimmingCharacters(in: .whitespaces), !s.isEmpty else {
                throw Problem.unauthorized("the Authorization header must be `Bearer TOKEN`")
            }
            secret = s
        } else if let cookie = request.cookies[WebPages.cookie]?.value, !cookie.isEmpty {
            secret = cookie
        } else {
            throw Problem.unauthorized("this route needs `Authorization: Bearer TOKEN`; `strat token create --name NAME` makes one")
        }
        guard let token = try await api.store.token(hash: Tokens.hash(secret)) else { throw Problem.unauthorized("unknown token") }
        if token.revokedAt != nil { throw Problem.revoked(token.name) }
        if let wait = api.limiter.take(token: token.id, perMinute: token.limits.requestsPerMinute) {
            throw Problem.tooMany("rate-limited", "this token may make \(token.limits.requestsPerMinute) requests a minute; retry in \(wait) s", retryAfter: wait)
        }
        return token
    }

    func problem(for e: HTTPError) -> Problem {
        switch e.status {
        case .notFound: .notFound("no route \(e.body ?? "for this path"); GET /openapi.json lists them")
        case .methodNotAllowed: Problem(.methodNotAllowed, "method-not-allowed", "Method not allowed", detail: "this path does not take that method; GET /openapi.json lists them")
        case .contentTooLarge: .tooLarge("body-too-large", "the body is over this token's limit")
        default: Problem(e.status, "http-\(e.status.code)", e.status.reasonPhrase, detail: e.body ?? e.status.reasonPhrase)
        }
    }
}
