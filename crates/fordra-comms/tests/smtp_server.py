"""A real SMTP server for the e-mail tests (aiosmtpd, on loopback).

Usage: smtp_server.py PORT_FILE MAIL_DIR [DELAY_MS [CERT KEY USER PASSWORD]]
Listens on a free port (written to PORT_FILE once it is ready), stores each accepted message
as MAIL_DIR/NNNN.eml, and refuses for good (550) any recipient whose address starts with
"bounce", as a mail server refuses an address that does not exist. With DELAY_MS, each message
takes that long to accept (it is stored at the end, just before the 250 reply). With a
certificate, key, user and password, the server requires STARTTLS and then AUTH (PLAIN/LOGIN)
with that user and password, as a submission server on port 587 does.
"""
import asyncio
import os
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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
    if os.environ.get("FORDRA_SMTP_DEBUG"):
        import logging

        logging.basicConfig(level=logging.DEBUG)
    port_file, mail_dir = sys.argv[1], sys.argv[2]
    delay = int(sys.argv[3]) / 1000.0 if len(sys.argv) > 3 else 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = {}
    if len(sys.argv) > 7:
        import ssl

        cert, key, user, password = sys.argv[4:8]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            # handled=False: aiosmtpd answers (235, or 535 on failure).
            return AuthResult(success=ok, handled=False)

        options = dict(
            tls_context=context,
            require_starttls=True,
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=True,
        )
    controller = Controller(Handler(mail_dir, delay), hostname="127.0.0.1", port=port, **options)
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
