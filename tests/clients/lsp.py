"""A minimal Language Server Protocol client over stdio (JSON-RPC with Content-Length
framing), enough to open a document in a real language server and read its diagnostics."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

Message = dict[str, Any]


class LanguageServer:
    """A language server process; answers the server's own requests with ``settings``."""

    def __init__(self, command: list[str], root: Path, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.inbox: queue.Queue[Message] = queue.Queue()
        self._next_id = 0
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        self.request("initialize", {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": {
                "workspace": {"configuration": True},
                "textDocument": {"publishDiagnostics": {"relatedInformation": False}},
            },
        })  # fmt: skip
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": settings})

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(stream.read(length)))

    def _send(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    # Hang guards: the server answers initialize in ~0.5 s and publishes diagnostics ~1 s
    # after didOpen on a quiet machine.
    def request(self, method: str, params: Any, timeout: float = 60.0) -> Any:
        self._next_id += 1
        wanted = self._next_id
        self._send({"id": wanted, "method": method, "params": params})
        for message in self.messages(timeout):
            if message.get("id") == wanted and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
        raise TimeoutError(f"no answer to {method} in {timeout} s")

    def messages(self, timeout: float) -> Any:
        """Messages from the server until ``timeout``; its requests answered on the way."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                message = self.inbox.get(timeout=left)
            except queue.Empty:
                return
            if "method" in message and "id" in message:  # the server asks us something
                self._send({"id": message["id"], "result": self._answer(message)})
                continue
            yield message

    def _answer(self, request: Message) -> Any:
        if request["method"] == "workspace/configuration":
            return [self.settings.get(item.get("section", ""), None)
                    for item in request["params"]["items"]]  # fmt: skip
        return None

    def diagnostics(self, path: Path, text: str, quiet: float = 2.0, timeout: float = 60.0) -> Any:
        """Open ``path`` with ``text``: the last diagnostics published for it, once the
        server has published some and then been quiet for ``quiet`` seconds."""
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text}})  # fmt: skip
        last: Any = None
        end = time.monotonic() + timeout
        while last is None and time.monotonic() < end:
            for message in self.messages(end - time.monotonic()):
                if _diagnostics_of(message, uri) is not None:
                    last = _diagnostics_of(message, uri)
                    break
        for message in self.messages(quiet):  # a later publication replaces the first
            if _diagnostics_of(message, uri) is not None:
                last = _diagnostics_of(message, uri)
        if last is None:
            raise TimeoutError(f"no diagnostics for {path} in {timeout} s")
        return last

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)  # hang guard: answered in milliseconds
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except (TimeoutError, subprocess.TimeoutExpired, BrokenPipeError):
            self.proc.kill()
            self.proc.wait()


def _diagnostics_of(message: Message, uri: str) -> Any:
    if message.get("method") == "textDocument/publishDiagnostics":
        params = message["params"]
        if params["uri"] == uri:
            return params["diagnostics"]
    return None
