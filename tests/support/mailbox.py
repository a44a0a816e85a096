"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it accepts, for the e-mail tests."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts, or answers 451 while `refuse` is set."""

    def __init__(self) -> None:
        self.messages = []
        self.refuse = False
        self.port = _free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self, hostname='127.0.0.1', port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop(no_assert=True)
            self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.refuse:
            return '451 4.3.0 Try again later'
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return '250 Message accepted for delivery'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
