#!/usr/bin/env python3
# N HTTP-FLV viewers that never read (bench/slow-viewers.mjs): each socket gets a small receive buffer
# (SO_RCVBUF before connect, so the TCP window stays small), sends its GET and then never calls recv.
# Node cannot set SO_RCVBUF on a TCP socket, hence Python. Once a second it prints one JSON line
# {"opened": n, "closed": n}: a socket counts as closed when the server reset or finished it (TCP_INFO
# state no longer ESTABLISHED), which is how the server's "hopeless viewer" rule shows from outside.
#
#   python3 bench/stuck-viewers.py HOST PORT PATH COUNT RCVBUF RAMP_PER_S
import json
import socket
import sys
import time

TCP_ESTABLISHED = 1


def main() -> None:
    host, port, path, count, rcvbuf, ramp = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: tsrs-bench-stuck\r\nAccept: */*\r\n\r\n".encode()
    socks = []
    began = time.monotonic()
    next_report = began + 1
    failed = 0
    while True:
        now = time.monotonic()
        want = min(count, int((now - began) * ramp) + 1)
        while len(socks) + failed < want:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            try:
                s.connect((host, port))
                s.sendall(request)
                socks.append(s)
            except OSError:
                failed += 1
                s.close()
        if now >= next_report:
            next_report += 1
            closed = 0
            for s in socks:
                try:
                    if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != TCP_ESTABLISHED:
                        closed += 1
                except OSError:
                    closed += 1
            print(json.dumps({"opened": len(socks), "closed": closed, "failed": failed}), flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
