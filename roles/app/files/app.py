"""foobar: a visit counter kept in MariaDB, served by gunicorn behind nginx.

A release is a folder (releases/<version>/) holding this file, static/ and VERSION. gunicorn
imports it through the `current` symlink each time it starts a worker, so a reload (HUP) after
the link moved serves the new release while the old workers finish their requests.
"""
import configparser
import html
import os
import time

import pymysql
from flask import Flask, Response, jsonify

# The release this worker runs, resolved once: a later switch of `current` does not change it.
RELEASE = os.path.dirname(os.path.realpath(__file__))
CONFIG_FILE = os.environ.get("FOOBAR_CONFIG", "/etc/foobar/app.ini")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


CONFIG = configparser.ConfigParser(interpolation=None)
with open(CONFIG_FILE, encoding="utf-8") as _f:
    CONFIG.read_file(_f)
DB = CONFIG["database"]
VERSION = _read(os.path.join(RELEASE, "VERSION"))
GREETING = CONFIG.get("app", "greeting", fallback="Hello from foobar")

app = Flask(__name__, static_folder=None)


def connect():
    """A fresh connection per request: sync workers serve one request at a time."""
    return pymysql.connect(
        unix_socket=DB["socket"],
        user=DB["user"],
        # Read at each connection, so a rotated password needs no restart.
        password=_read(DB["password_file"]),
        database=DB["name"],
        connect_timeout=5,
        autocommit=False,
    )


PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>foobar</title><link rel="stylesheet" href="/static/style.css"></head>
<body>
<h1>{greeting}</h1>
<p class="counter">visits: {visits}</p>
<p class="version">version: {version}</p>
</body>
</html>
"""


@app.get("/")
def index():
    conn = connect()
    try:
        with conn.cursor() as cur:
            # LAST_INSERT_ID(expr) hands this connection the value it wrote: one atomic statement.
            cur.execute("UPDATE visits SET hits = LAST_INSERT_ID(hits + 1) WHERE id = 1")
            cur.execute("SELECT LAST_INSERT_ID()")
            (visits,) = cur.fetchone()
        conn.commit()
    finally:
        conn.close()
    body = PAGE.format(greeting=html.escape(GREETING), visits=visits, version=html.escape(VERSION))
    return Response(body, mimetype="text/html")


@app.get("/health")
def health():
    started = time.monotonic()
    try:
        conn = connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT hits FROM visits WHERE id = 1")
                (visits,) = cur.fetchone()
        finally:
            conn.close()
    except Exception as e:  # noqa: BLE001 -- any failure means "not healthy", with its class name
        return jsonify(status="error", database=f"error: {type(e).__name__}", version=VERSION), 503
    ms = round((time.monotonic() - started) * 1000, 2)
    return jsonify(status="ok", database="ok", db_roundtrip_ms=ms, visits=visits, version=VERSION)
