#!/usr/bin/env python3
"""tunpair.py - two tun devices joined back to back, for testing tcpxd on
a layer-3 (IFF_TUN, ARPHRD_NONE) link.

Run inside tcpx-peer.  Creates tcpxtun-p (stays in tcpx-peer, kernel
address PEER/24) and tcpxtun-h (moved into tcpx-host, no address), then
copies every packet written to one device's fd into the other's.
Prints "ready" once both are up; runs until killed or for SECS seconds.

usage: tunpair.py PEER_ADDR/LEN SECS
"""
import fcntl
import os
import select
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(),
                                           IFF_TUN | IFF_NO_PI))
    return fd


def run(*cmd):
    subprocess.check_call(list(cmd))


def main():
    addr, secs = sys.argv[1], float(sys.argv[2])
    p = tun("tcpxtun-p")
    h = tun("tcpxtun-h")
    run("ip", "link", "set", "tcpxtun-h", "netns", "tcpx-host")
    run("ip", "netns", "exec", "tcpx-host", "ip", "link", "set",
        "tcpxtun-h", "up")
    run("ip", "addr", "add", addr, "dev", "tcpxtun-p")
    run("ip", "link", "set", "tcpxtun-p", "up")
    print("ready", flush=True)
    other = {p: h, h: p}
    end = time.monotonic() + secs
    while time.monotonic() < end:
        r, _, _ = select.select([p, h], [], [], 0.5)
        for fd in r:
            pkt = os.read(fd, 65536)
            try:
                os.write(other[fd], pkt)
            except OSError:
                pass  # the other side is down: a lost packet


if __name__ == "__main__":
    main()
