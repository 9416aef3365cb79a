package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ofa serve}'s options before any server starts: the exposure warning, the token, the limits. */
class ServeCommandTest {

    @TempDir Path tmp;

    @Test
    void bindingBeyondLoopbackWithoutATokenWarnsInOneLine() {
        assumeTrue(System.getenv(ServeCommand.TOKEN_ENV) == null, "the environment sets a token");
        // the run does not exist: the command stops after the warning, with one line of its own
        CliRunner.Result r = CliRunner.run("serve", "--run", tmp.resolve("none").toString(), "--host", "0.0.0.0", "--port", "0");
        assertEquals(2, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(2, lines.length, r.err());
        assertTrue(lines[0].startsWith("ofa serve: warning: bound to 0.0.0.0, beyond loopback, without a token")
                && lines[0].contains(ServeCommand.TOKEN_ENV), lines[0]);
        assertTrue(lines[1].contains("no device profiles"), lines[1]);
        CliRunner.Result loop = CliRunner.run("serve", "--run", tmp.resolve("none").toString(), "--port", "0");
        assertTrue(!loop.err().contains("warning"), loop.err());
    }

    @Test
    void aTokenFileSilencesTheWarning() throws IOException {
        assumeTrue(System.getenv(ServeCommand.TOKEN_ENV) == null, "the environment sets a token");
        Path f = Files.writeString(tmp.resolve("token"), "abc123\n");
        CliRunner.Result r = CliRunner.run("serve", "--run", tmp.resolve("none").toString(), "--host", "0.0.0.0",
                "--token-file", f.toString(), "--port", "0");
        assertEquals(2, r.code(), r.err());
        assertTrue(!r.err().contains("warning"), r.err());
    }

    @Test
    void theTokenComesFromOnePlace() throws IOException {
        Path f = Files.writeString(tmp.resolve("token"), "  abc123  \nsecond line ignored\n");
        assertEquals("abc123", ServeCommand.token(f, null));
        assertEquals("from-env", ServeCommand.token(null, "from-env"));
        assertNull(ServeCommand.token(null, null));
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> ServeCommand.token(f, "x"));
        assertTrue(both.getMessage().contains("--token-file") && both.getMessage().contains(ServeCommand.TOKEN_ENV),
                both.getMessage());
        Path empty = Files.writeString(tmp.resolve("empty"), "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServeCommand.token(empty, null));
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
        Path big = Files.write(tmp.resolve("big"), new byte[ServeCommand.MAX_TOKEN_FILE + 1]);
        IOException io = assertThrows(IOException.class, () -> ServeCommand.token(big, null));
        assertTrue(io.getMessage().contains(big.toString()) && io.getMessage().contains("4097 bytes"), io.getMessage());
    }

    @Test
    void badLimitsAreNamed() {
        CliRunner.Result r = CliRunner.run("serve", "--run", tmp.toString(), "--queue", "0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--queue") && r.err().contains("found 0"), r.err());
        r = CliRunner.run("serve", "--run", tmp.toString(), "--request-timeout", "0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--request-timeout") && r.err().contains("found 0"), r.err());
        r = CliRunner.run("serve", "--run", tmp.toString(), "--allow-host", "a/b");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--allow-host") && r.err().contains("'a/b'"), r.err());
    }
}
