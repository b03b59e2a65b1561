#!/usr/bin/python3
"""A stand-in for a deployment's basemap tile server (天地图 or an internal
one) on a loopback port: any GET answers a 256x256 PNG (a grey-blue square
with a darker border, so tiles show on a screenshot) and its path is
appended to LOG. Prints the port once listening.

usage: tile_stub.py LOG
"""
import http.server
import struct
import sys
import zlib


def png(w=256, h=256):
    rows = b""
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            edge = x < 2 or y < 2
            row += bytes((170, 190, 205) if edge else (214, 226, 234))
        rows += bytes(row)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


TILE = png()
LOG = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(LOG, "a") as f:
            f.write(self.path + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(TILE)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(TILE)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
