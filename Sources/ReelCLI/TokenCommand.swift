import ArgumentParser
import Foundation
import ReelCoordinator

/// `reel token`: the API's bearer tokens (admin scope).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the API's bearer tokens (needs an admin token).",
        discussion: """
            The CLI sends the token in REEL_TOKEN, or (for a coordinator on this machine) the one it \
            advertises to its own user, or the one in ~/.config/reel/token (0600); never one from a flag. \
            A coordinator keeps its first admin token in DATA/api-token (0600).
            """,
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a token and print it, this once (only its SHA-256 is stored).")

    @Option(help: "What it may do: read (list, status, fetch), submit (also submit, retry, cancel) or admin (also tokens).")
    var scope: APIScope

    @Option(help: "A name to list and revoke it by: 1–64 letters, digits, '.', '-' or '_'.")
    var name: String

    @OptionGroup var coordinator: CoordinatorAddress

    func validate() throws {
        guard CoordinatorHTTPServer.isTokenName(name) else {
            throw ValidationError("--name '\(name)' must be 1–64 letters, digits, '.', '-' or '_' (e.g. ci-submit)")
        }
    }

    func run() async throws {
        let created = try await coordinator.client.createToken(name: name, scope: scope)
        // The token on stdout alone, so `reel token create … > file` stores just it.
        print(created.token)
        printErr("token '\(name)' (\(scope.rawValue)) made; it is not shown again. Give it to its user as REEL_TOKEN or in ~/.config/reel/token (chmod 600).")
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the tokens (never the tokens themselves).")

    @OptionGroup var coordinator: CoordinatorAddress
    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let tokens = try await coordinator.client.tokens()
        if json { return print(try CLIJSON.text(tokens)) }
        print("NAME                             SCOPE    CREATED                   REVOKED")
        let format = ISO8601DateFormatter()
        for token in tokens {
            print(
                token.name.padding(toLength: 33, withPad: " ", startingAt: 0) + token.scope.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + format.string(from: token.createdAt).padding(toLength: 26, withPad: " ", startingAt: 0)
                    + (token.revokedAt.map { format.string(from: $0) } ?? "-"))
        }
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a token: its next request gets 401.")

    @Argument(help: "The token's name, as `reel token list` shows it.")
    var name: String

    @OptionGroup var coordinator: CoordinatorAddress

    func run() async throws {
        _ = try await coordinator.client.revokeToken(name: name)
        print("revoked token '\(name)'")
    }
}

extension APIScope: ExpressibleByArgument {}
