"""Run localstripe (a stateful fake Stripe API) on 127.0.0.1 only; its own CLI binds every
interface. Usage: python localstripe_loopback.py PORT"""

import logging
import sys

from aiohttp import web
from localstripe.server import app

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=logging.getLogger("aiohttp.access"))
