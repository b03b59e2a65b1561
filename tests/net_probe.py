"""Socket-level checks of a running gisd that curl cannot make.

  net_probe.py head HOST PORT PATH
      sends HEAD and prints the bytes that followed the header block
      (must be 0) and the status line.
  net_probe.py storm HOST PORT SLOW PROBES PATH PROBE1 PROBE2 SECONDS
      opens SLOW connections that request PATH and read it one small piece
      a second, then sends PROBES requests alternating PROBE1 and PROBE2 on
      fresh connections; prints "probes N ok M" and the statuses that were
      not 200 (or 204), then closes everything.
  net_probe.py raw HOST PORT FILE
      sends the bytes of FILE and prints the status line and the body.
Every loop is bounded in count and time; only the given loopback address
is contacted.
"""
import socket
import sys
import time


def status_of(data):
    line = data.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def head(host, port, path):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(("HEAD %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, host, port)).encode())
    data = b""
    deadline = time.time() + 3
    s.settimeout(0.5)
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            if b"\r\n\r\n" in data:
                break
            continue
        if not chunk:
            break
        data += chunk
    s.close()
    headers, _, rest = data.partition(b"\r\n\r\n")
    print("status", status_of(data))
    print("after_headers", len(rest))


def get_status(host, port, path, timeout=10):
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (path, host, port)).encode())
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return status_of(data)


def storm(host, port, nslow, nprobes, path, probe1, probe2, seconds):
    slow = []
    for _ in range(nslow):
        s = socket.create_connection((host, port), timeout=5)
        # a small receive window keeps the server waiting on us
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (path, host, port)).encode())
        s.setblocking(False)
        slow.append(s)
    end = time.time() + seconds
    bad = []
    done = 0
    for i in range(nprobes):
        if time.time() > end:
            break
        for s in slow:
            try:
                s.recv(64)
            except (BlockingIOError, OSError):
                pass
        try:
            st = get_status(host, port, probe1 if i % 2 == 0 else probe2)
        except OSError as e:
            st = "dropped:%s" % e
        done += 1
        if st not in (200, 204):
            bad.append(str(st))
        time.sleep(max(0.0, min(0.05, end - time.time())))
    for s in slow:
        s.close()
    print("probes", done, "ok", done - len(bad))
    print("bad", " ".join(bad))


def raw(host, port, path):
    with open(path, "rb") as f:
        req = f.read()
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(req)
    data = b""
    s.settimeout(5)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
    except socket.timeout:
        pass
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    print("status", status_of(data))
    sys.stdout.write(body.decode("utf-8", "replace") + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "head":
        head(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "storm":
        storm(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
              sys.argv[7], sys.argv[8], float(sys.argv[9]))
    elif cmd == "raw":
        raw(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("unknown command " + cmd)
