import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request over TLS that trusts only a ``PrivateCA``: what the CLI
/// uses for an `https://` coordinator whose certificate a private CA signed,
/// since URLSession on Linux cannot be told about one (see ``PrivateCA``). The
/// chain and the address are verified as URLSession would: the certificate must
/// name the host (DNS name, sent as SNI) or the IP address connected to.
struct PrivateCAClient: Sendable {
    let ca: PrivateCA

    /// Why a request got no answer.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `method` to `url` with `headers` and `body`; the answer's body and status.
    func send(method: String, url: URL, headers: [(String, String)], body: Data?, timeout: TimeAmount) async throws -> (Data, Int) {
        guard let host = url.host, let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            throw Failure(description: "\(url.absoluteString) has no host")
        }
        let port = url.port ?? 443
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(ca.certificates)
        configuration.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: configuration)
        // SNI takes names only; an address is checked against the certificate's IP entries.
        let name: String? = Self.isAddress(host) ? nil : host
        // One loop for the channel and the promise, so the handler completes it in place.
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let answer = loop.makePromise(of: (Data, Int).self)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(answer: answer))
                }
            }
            .connect(host: host, port: port).get()
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            answer.fail(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method),
            uri: (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "\(body?.count ?? 0)")
        for (field, value) in headers { head.headers.add(name: field, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).cascadeFailure(to: answer)
        return try await answer.futureResult.get()
    }

    /// Whether `host` is an IPv4 or IPv6 address rather than a name.
    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// Collects one response (status and body) into `answer`; a TLS or connection
/// error, or a connection closed before the end, fails it.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let answer: EventLoopPromise<(Data, Int)>
    private var status = 0
    private var body = Data()

    init(answer: EventLoopPromise<(Data, Int)>) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let buffer): body.append(contentsOf: buffer.readableBytesView)
        case .end: answer.succeed((body, status))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        answer.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(PrivateCAClient.Failure(description: "the connection closed before the answer ended"))
    }
}
