#!/usr/bin/env python3
"""A scripted IMAP server for client tests (after Dovecot's test-imapc-client.c).

    imap_script.py SCRIPT PORT_FILE TRANSCRIPT

Listens on 127.0.0.1 on a free port (written to PORT_FILE once it listens) and plays SCRIPT,
one section per accepted connection, in order. Plain IMAP only (no TLS). Python 3 stdlib.

Step language, one step a line; blank lines and lines starting with '#' are ignored:

    connection          starts the section for the next accepted connection. A connection
                        beyond the last section is logged as UNSCRIPTED and closed at once.
    send TEXT           sends TEXT and CRLF. "$tag" becomes the tag of the last command
                        received ("$$" is a dollar sign).
    expect REGEX        reads one command line; the text after its tag must match REGEX in
                        full (case-insensitive). Anything else, or the client closing, is
                        logged as MISMATCH and ends the connection.
    send_file PATH [N]  sends PATH's bytes (the first N only, when given), nothing added: the
                        body of a literal. PATH is relative to the script's folder.
    hang SECONDS        sends nothing for up to SECONDS while logging what the client sends;
                        if the client closes meanwhile, that is logged ("client closed") and
                        the section ends there.
    close               closes the connection (the section ends).

When a section's steps run out, the connection is closed.

TRANSCRIPT gets one line per event, flushed at once so a test can wait for it:
    <seconds since start> c<N> S: <line sent>       (send_file: "S: <K bytes of PATH>")
    <seconds since start> c<N> C: <line received>
    <seconds since start> c<N> client closed after <S> s    (during a hang, or a reset while
                                                             the server was sending)
    <seconds since start> c<N> hang over after <S> s (client still connected)
    <seconds since start> c<N> MISMATCH ...  |  UNSCRIPTED connection  |  closed by the script
A test asserts on it (no MISMATCH, no UNSCRIPTED, "client closed" after a hang).
"""

import asyncio
import os
import re
import sys
import time


def parse_script(path):
    sections = []
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            verb, _, arg = line.strip().partition(" ")
            if verb == "connection":
                sections.append([])
                continue
            if not sections:
                raise SystemExit(f"{path}:{n}: a step before the first 'connection'")
            if verb == "send":
                step = ("send", arg)
            elif verb == "expect":
                step = ("expect", re.compile(arg, re.IGNORECASE))
            elif verb == "send_file":
                parts = arg.split()
                file = os.path.join(base, parts[0])
                step = ("send_file", file, int(parts[1]) if len(parts) > 1 else None)
            elif verb == "hang":
                step = ("hang", float(arg))
            elif verb == "close":
                step = ("close",)
            else:
                raise SystemExit(f"{path}:{n}: unknown step '{verb}'")
            sections[-1].append(step)
    return sections


class Server:
    def __init__(self, sections, transcript):
        self.sections = sections
        self.out = open(transcript, "a", encoding="utf-8")
        self.start = time.monotonic()
        self.count = 0

    def log(self, conn, text):
        self.out.write(f"{time.monotonic() - self.start:.3f} c{conn} {text}\n")
        self.out.flush()

    async def handle(self, reader, writer):
        self.count += 1
        conn = self.count
        if conn > len(self.sections):
            self.log(conn, "UNSCRIPTED connection")
            writer.close()
            return
        self.log(conn, "accepted")
        tag = "*"
        t_step = time.monotonic()
        try:
            for step in self.sections[conn - 1]:
                kind = step[0]
                t_step = time.monotonic()
                if kind == "send":
                    text = step[1].replace("$$", "\0").replace("$tag", tag).replace("\0", "$")
                    self.log(conn, "S: " + text)
                    writer.write(text.encode() + b"\r\n")
                    await writer.drain()
                elif kind == "send_file":
                    with open(step[1], "rb") as f:
                        data = f.read() if step[2] is None else f.read(step[2])
                    self.log(conn, f"S: <{len(data)} bytes of {os.path.basename(step[1])}>")
                    writer.write(data)
                    await writer.drain()
                elif kind == "expect":
                    line = await reader.readline()
                    if not line.endswith(b"\n"):
                        self.log(conn, f"MISMATCH expected '{step[1].pattern}', the client closed")
                        return
                    text = line.decode("utf-8", "replace").rstrip("\r\n")
                    self.log(conn, "C: " + text)
                    got_tag, _, rest = text.partition(" ")
                    if not step[1].fullmatch(rest):
                        self.log(conn, f"MISMATCH expected '{step[1].pattern}'")
                        return
                    tag = got_tag
                elif kind == "hang":
                    if await self.hang(conn, reader, step[1]):
                        return
                elif kind == "close":
                    self.log(conn, "closed by the script")
                    return
            self.log(conn, "end of the script: closing")
        except (ConnectionResetError, BrokenPipeError) as e:
            # The client closed (or reset) while the server was writing: a client that drops
            # a hostile answer without reading it resets, since unread data is in its buffer.
            # That is the close a test waits for, so it is logged as one.
            self.log(conn, f"client closed after {time.monotonic() - t_step:.1f} s"
                     f" (while the server was sending: {e.strerror or e})")
        except (ConnectionError, OSError) as e:
            self.log(conn, f"connection error: {e}")
        finally:
            writer.close()

    async def hang(self, conn, reader, seconds):
        """True when the client closed the connection during the hang."""
        t0 = time.monotonic()
        while True:
            left = seconds - (time.monotonic() - t0)
            if left <= 0:
                self.log(conn, f"hang over after {seconds:g} s (client still connected)")
                return False
            try:
                line = await asyncio.wait_for(reader.readline(), left)
            except asyncio.TimeoutError:
                continue
            except (ConnectionError, OSError):
                line = b""
            if not line:
                self.log(conn, f"client closed after {time.monotonic() - t0:.1f} s")
                return True
            self.log(conn, "C: " + line.decode("utf-8", "replace").rstrip("\r\n"))


async def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: imap_script.py SCRIPT PORT_FILE TRANSCRIPT")
    script, port_file, transcript = sys.argv[1:]
    server = Server(parse_script(script), transcript)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(port_file + ".tmp", port_file)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
