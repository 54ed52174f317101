"""A real SMTP server for the e-mail tests (aiosmtpd, on loopback).

Usage: smtp_server.py PORT_FILE MAIL_DIR [DELAY_MS]
Listens on a free port (written to PORT_FILE once it is ready), stores each accepted message
as MAIL_DIR/NNNN.eml, and refuses for good (550) any recipient whose address starts with
"bounce", as a mail server refuses an address that does not exist. With DELAY_MS, each message
takes that long to accept (it is stored at the end, just before the 250 reply).
"""
import asyncio
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, mail_dir, delay):
        self.mail_dir = mail_dir
        self.delay = delay
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("bounce"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        path = os.path.join(self.mail_dir, "%04d.eml" % self.count)
        with open(path + ".part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 Message accepted for delivery"


def main():
    port_file, mail_dir = sys.argv[1], sys.argv[2]
    delay = int(sys.argv[3]) / 1000.0 if len(sys.argv) > 3 else 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(mail_dir, delay), hostname="127.0.0.1", port=port)
    controller.start()
    with open(port_file + ".part", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".part", port_file)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
