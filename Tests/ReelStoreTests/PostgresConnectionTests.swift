import ReelStore
import Testing

@Suite struct PostgresConnectionTests {
    @Test func parametersRoundTrip() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let text = "O'Brien; DROP TABLE x; -- \"quoted\" ünï"
        let bytes: [UInt8] = [0, 1, 0x5c, 0x78, 255, 0]
        let row = try connection.execute(
            """
            SELECT $1::text AS t, $2::bigint AS i, $3::float8 AS d, $4::boolean AS b, $5::bytea AS y,
                   $6::jsonb ->> 'k' AS j, $7::text IS NULL AS n, $8::bigint AS small
            """,
            [.text(text), .int64(.max), .double(0.1), .bool(true), .bytea(bytes), .json(#"{"k": "v'\""}"#), .null,
             .int64(.min)]
        ).first()
        #expect(try row.get("t") == text)
        #expect(try row.get("i") == Int64.max)
        #expect(try row.get("small") == Int64.min)
        #expect(try row.get("d") == 0.1)
        #expect(try row.get("b") == true)
        #expect(try row.get("y") == bytes)
        #expect(try row.get("j") == "v'\"")
        #expect(try row.get("n") == true)
    }

    @Test func textWithNULIsRefused() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        do throws(StoreError) {
            try connection.execute("SELECT $1::text", [.text("a\u{0}b")], name: "nul test")
            Issue.record("a NUL inside text was sent")
        } catch {
            guard case .invalidArgument(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("nul test") && message.contains("$1"))
        }
    }

    @Test func accessorErrorsNameColumnAndType() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let row = try connection.execute("SELECT 'abc'::text AS word, NULL::int AS nothing").first()
        do throws(StoreError) {
            _ = try row.get("word", as: Int64.self)
            Issue.record("'abc' read as an integer")
        } catch {
            #expect(error == .badValue(column: "word", expected: "an integer", found: "abc"))
        }
        do throws(StoreError) {
            _ = try row.get("nothing", as: Int.self)
            Issue.record("NULL read as a non-optional integer")
        } catch {
            #expect(error == .badValue(column: "nothing", expected: "an integer", found: nil))
        }
        #expect(try row.get("nothing", as: Int?.self) == nil)
        do throws(StoreError) {
            _ = try row.get("missing", as: String.self)
            Issue.record("a missing column was read")
        } catch {
            guard case .missingColumn("missing", _, let available) = error else { Issue.record("\(error)"); return }
            #expect(available == ["word", "nothing"])
        }
    }

    @Test func serverErrorCarriesSQLStateAndStatementName() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let error = expectServerError("42P01") { () throws(StoreError) in
            try connection.execute("SELECT * FROM no_such_table", name: "read nothing")
        }
        #expect(error.map { "\($0)".contains("read nothing") } == true)
    }

    @Test func transactionRollsBackOnThrow() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        try connection.execute("CREATE TABLE items (n int PRIMARY KEY)")
        do throws(StoreError) {
            try connection.transaction { () throws(StoreError) in
                try connection.execute("INSERT INTO items VALUES (1)")
                try connection.execute("INSERT INTO items VALUES (1)")
            }
            Issue.record("a duplicate key was inserted")
        } catch {
            #expect(error.sqlState == "23505")
        }
        #expect(try connection.execute("SELECT * FROM items").count == 0)

        try connection.transaction { () throws(StoreError) in
            try connection.execute("INSERT INTO items VALUES (2)")
            // The inner failure rolls back to its savepoint only.
            _ = try? connection.transaction { () throws(StoreError) in
                try connection.execute("INSERT INTO items VALUES (3)")
                try connection.execute("INSERT INTO items VALUES (3)")
            }
        }
        let kept = try connection.execute("SELECT n FROM items ORDER BY n").map { row throws(StoreError) in
            try row.get("n", as: Int.self)
        }
        #expect(kept == [2])
    }

    @Test func closedConnectionThrows() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        connection.close()
        do throws(StoreError) {
            try connection.execute("SELECT 1")
            Issue.record("a closed connection ran a statement")
        } catch {
            guard case .connectionLost = error else { Issue.record("\(error)"); return }
        }
    }
}
