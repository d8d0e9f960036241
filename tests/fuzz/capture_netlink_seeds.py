#!/usr/bin/env python3
"""Writes the seeds of the netlink_reply fuzz target (tests/fuzz/seeds/netlink_reply/)
from the running kernel's own replies: AUDIT_GET, AUDIT_GET_FEATURE, a listing of
two rules this script adds under its own key (and deletes again), the ack of an
AUDIT_SET that changes nothing, and the error reply to deleting a rule that is not
there. Each seed is [mode byte][datagram as received] (netlink_reply_fuzz.cc).
Root; takes the kernel test lock. Usage: capture_netlink_seeds.py OUTDIR
"""
import fcntl
import os
import socket
import struct
import subprocess
import sys

NETLINK_AUDIT = 9
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 1, 4
AUDIT_GET, AUDIT_SET, AUDIT_LIST_RULES, AUDIT_DEL_RULE, AUDIT_GET_FEATURE = 1000, 1001, 1013, 1012, 1019
KEY = "bpfaudit-seed-capture"
RULES = [["-a", "always,exit", "-F", "arch=b64", "-S", "openat", "-F", "dir=/tmp",
          "-F", "success=0", "-k", KEY],
         ["-w", "/tmp/bpfaudit-seed-capture", "-p", "wa", "-k", KEY]]


def request(sock, seq, mtype, payload=b"", ack=True):
    flags = NLM_F_REQUEST | (NLM_F_ACK if ack else 0)
    msg = struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, 0) + payload
    sock.send(msg + b"\0" * (-len(msg) % 4))


def datagrams_until(sock, seq, done):
    """Datagrams answering seq until done(type, payload) says the answer is over."""
    out = []
    while True:
        d = sock.recv(1 << 16)
        _, mtype, _, mseq, _ = struct.unpack_from("=IHHII", d)
        if mseq != seq:
            continue
        out.append(d)
        if done(mtype, d[16:]):
            return out


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    lock = open("/tmp/bpfaudit-kernel.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
    sock.bind((0, 0))
    sock.settimeout(4)

    def save(name, mode, dgram):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(bytes([mode]) + dgram)

    # Status: its ack, then the reply, which the kernel sends from another
    # context (mode 2: waiting with stop type AUDIT_GET).
    request(sock, 1, AUDIT_GET)
    for i, d in enumerate(datagrams_until(sock, 1, lambda t, p: t == AUDIT_GET)):
        save(f"status-{i}", 2, d)
    # Features (mode 2|8: stop type AUDIT_GET_FEATURE).
    request(sock, 2, AUDIT_GET_FEATURE)
    for i, d in enumerate(datagrams_until(sock, 2, lambda t, p: t == AUDIT_GET_FEATURE)):
        save(f"features-{i}", 10, d)
    # AUDIT_SET with an empty mask: an ack of 0.
    request(sock, 3, AUDIT_SET, b"\0" * 44)
    save("ack", 0, datagrams_until(sock, 3, lambda t, p: t == NLMSG_ERROR)[-1])
    # Deleting a rule that is not there: -ENOENT, with the request echoed.
    rule = struct.pack("=III", 4, 2, 0) + b"\0" * (4 * 64 * 4) + struct.pack("=I", 0)
    request(sock, 4, AUDIT_DEL_RULE, rule)
    save("error-enoent", 0, datagrams_until(sock, 4, lambda t, p: t == NLMSG_ERROR)[-1])
    # A listing of our two rules: one datagram per rule, then NLMSG_DONE.
    added = []
    try:
        for r in RULES:
            subprocess.run(["auditctl"] + r, check=True, stdout=subprocess.DEVNULL)
            added.append(r)
        request(sock, 5, AUDIT_LIST_RULES, ack=False)
        got = datagrams_until(sock, 5, lambda t, p: t in (NLMSG_DONE, NLMSG_ERROR))
        n = 0
        for d in got:
            if KEY.encode() in d or d[4:6] != struct.pack("=H", AUDIT_LIST_RULES):
                save(f"list-{n}", 0, d)
                n += 1
    finally:
        for r in added:
            delete = ["-d" if r[0] == "-a" else "-W"] + r[1:]
            subprocess.run(["auditctl"] + delete, check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
